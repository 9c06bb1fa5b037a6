// etcd-put: the etcd side of bench/cluster-compare.sh. It drives durable puts over gRPC
// with etcd's own Go client (clientv3 from Debian's golang-etcd-server-dev, built in
// GOPATH mode, no module download), as etcd's tools/benchmark `put` does; Debian ships no
// build of that tool. CLIENTS goroutines share CONNS gRPC connections round-robin and take
// puts from one counter until TOTAL are done; every put's latency is kept.
//
// Prints one CSV line: rps,p50_ms,p99_ms,p99.9_ms,max_ms,errors. Exits non-zero when
// any put failed or no connection could be made.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client endpoints")
	conns := flag.Int("conns", 1, "gRPC connections")
	clients := flag.Int("clients", 1, "concurrent clients (goroutines), each with one put in flight")
	total := flag.Int("total", 10000, "puts in all")
	valueSize := flag.Int("value-size", 256, "bytes per value")
	keySpace := flag.Int("key-space", 1000000, "keys are key:<n> with n random in [0, key-space)")
	timeout := flag.Duration("timeout", 10*time.Second, "deadline of one put")
	flag.Parse()
	if *conns < 1 || *clients < 1 || *total < 1 || *keySpace < 1 {
		fmt.Fprintln(os.Stderr, "etcd-put: conns, clients, total and key-space must be positive")
		os.Exit(2)
	}

	links := make([]*clientv3.Client, *conns)
	for i := range links {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   strings.Split(*endpoints, ","),
			DialTimeout: 5 * time.Second,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcd-put: connect:", err)
			os.Exit(1)
		}
		defer c.Close()
		links[i] = c
	}

	value := strings.Repeat("v", *valueSize)
	latencies := make([]time.Duration, *total)
	var taken, failed int64
	var firstError atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			link := links[w%len(links)]
			keys := rand.New(rand.NewSource(int64(w) + 1))
			for {
				i := atomic.AddInt64(&taken, 1) - 1
				if i >= int64(*total) {
					return
				}
				key := fmt.Sprintf("key:%012d", keys.Intn(*keySpace))
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				began := time.Now()
				_, err := link.Put(ctx, key, value)
				latencies[i] = time.Since(began)
				cancel()
				if err != nil {
					atomic.AddInt64(&failed, 1)
					firstError.CompareAndSwap(nil, err.Error())
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)

	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	quantile := func(q float64) float64 { // nearest rank
		rank := int(q*float64(len(latencies))+0.999999) - 1
		if rank < 0 {
			rank = 0
		}
		return float64(latencies[rank].Nanoseconds()) / 1e6
	}
	fmt.Printf("%.1f,%.3f,%.3f,%.3f,%.3f,%d\n", float64(*total)/elapsed.Seconds(), quantile(0.50),
		quantile(0.99), quantile(0.999), quantile(1), failed)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "etcd-put: %d puts failed, the first: %v\n", failed, firstError.Load())
		os.Exit(1)
	}
}
