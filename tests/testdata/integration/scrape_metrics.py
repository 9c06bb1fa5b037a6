#!/usr/bin/python3
# Fetches a keepd operator listener's /metrics and parses it with the Prometheus client
# library's own parser (Debian python3-prometheus-client). Prints one line per sample,
# "name{label="value",...} value" with the labels sorted, or fails (exit 1) when the page
# does not parse. Usage: scrape_metrics.py PORT
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10) as reply:
    if reply.status != 200:
        sys.exit(f"/metrics answered {reply.status}")
    text = reply.read().decode("utf-8")

for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        print(f"{sample.name}{{{labels}}} {sample.value:.9g}")
