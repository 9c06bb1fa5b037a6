# A redis-py (ssl=True) writer on one TLS connection, for the certificate rotation test:
# SETs w0, w1, ... until the stop file exists, then prints "ok <writes> <same connection>"
# (the CLIENT ID before and after compared: a reconnect would change it), or "error ...".
# Usage: python3 tls_writer.py PORT CA_FILE STOP_FILE
import os
import sys

import redis

port, ca_file, stop_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = redis.Redis(host="127.0.0.1", port=port, ssl=True, ssl_ca_certs=ca_file,
                     ssl_cert_reqs="required", socket_timeout=10, retry_on_timeout=False)
writes = 0
try:
    first_id = client.client_id()
    while not os.path.exists(stop_file):
        client.set("w%d" % writes, writes)
        writes += 1
    print("ok", writes, client.client_id() == first_id, flush=True)
except Exception as error:  # any failure is the test's answer, printed for it
    print("error", writes, repr(error), flush=True)
