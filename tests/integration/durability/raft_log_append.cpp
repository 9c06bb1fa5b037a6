// Appending to a stopped node's raft log (raft_log_append.h).
#include "tests/integration/durability/raft_log_append.h"

#include <catch2/catch.hpp>

#include <memory>
#include <span>

#include "storage/loaded_log.h"
#include "storage/raft_log_store.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

void write_a_key_and_stop(KeepdProcess& keepd) {
  {
    RawClient client(keepd.port());
    REQUIRE(client.command({"SET", "before", "1"}).text == "OK");
  }
  REQUIRE(keepd.stop().exited_normally(0));
}

raft_index append_raft_entries(const std::filesystem::path& data_dir,
                               const std::vector<std::string>& payloads) {
  std::unique_ptr<storage::RaftLogStore> store;
  REQUIRE(storage::RaftLogStore::open({.directory = data_dir / "raft",
                                       .segment_bytes = storage::segment_bytes_for(16ull << 20)},
                                      store)
              .ok());
  storage::LoadedLog loaded;
  REQUIRE(store->load(loaded).ok());
  REQUIRE(loaded.entries.size() > 0);
  const raft_index first = loaded.start_index + loaded.entries.size();
  std::vector<raft_entry> entries(payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    entries[i].term = loaded.entries[loaded.entries.size() - 1].term;
    entries[i].type = RAFT_COMMAND;
    entries[i].buf = raft_buffer{const_cast<char*>(payloads[i].data()), payloads[i].size()};
  }
  bool written = false;
  store->append(std::span<const raft_entry>(entries),
                [&written](util::IoStatus status) { written = status.ok(); });
  store.reset();  // finishes the queued append
  REQUIRE(written);
  return first;
}

}  // namespace keepdb::integration
