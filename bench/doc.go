// Package bench is zoneup's benchmark suite: `make bench` runs
// TestBenchmarkSuite (skipped unless ZONEUP_BENCH_SUITE=1), which drives
// the real zoneupd, zoneupadm and zonesim binaries and the operator's
// script (operator.sh, the sequential baseline), and writes
// docs/BENCHMARKS.md.
//
// The package itself holds what the suite computes from what it measured,
// so that it can be tested quickly: the attribution of a night's tool calls
// to zones and the makespan's lower bound (night.go), medians and
// percentiles (stats.go), the machine's description (machine.go) and the
// document (report.go).
//
// Settings (environment, for quick runs; the defaults are the full suite):
//
//	ZONEUP_BENCH_OUT          the document (default ../docs/BENCHMARKS.md)
//	ZONEUP_BENCH_ZONES        zones in the night's fleet (40)
//	ZONEUP_BENCH_SEED         the fleet's seed (7)
//	ZONEUP_BENCH_SPEED        ZONESIM_SPEED of the nights (2000)
//	ZONEUP_BENCH_REPEATS      repeats of every night and scale figure (3)
//	ZONEUP_BENCH_CONCURRENCY  the nights' concurrencies (1,2,4,8)
//	ZONEUP_BENCH_SCALE        job counts of the scale figure (1000,10000)
//	ZONEUP_BENCH_PUTS         timed single transitions (1000)
//	ZONEUP_BENCH_OPERATOR     the operator's script (operator.sh)
//	ZONEUP_BENCH_MICRO        a file with the go test -bench output to quote
package bench
