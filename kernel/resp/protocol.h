// RESP protocol versions a connection can speak (RESP2 by default, RESP3 after HELLO 3).
#pragma once

namespace keepdb::resp {

enum class Protocol { kResp2 = 2, kResp3 = 3 };

}  // namespace keepdb::resp
