package broker

import (
	"fmt"
	"io"
	"strings"

	"github.com/sluicelogs/sluice/bench/compare"
)

// SecurityTitle is how a client security setting heads its table.
func SecurityTitle(sec string) string {
	if sec == SecuritySASLSSL {
		return "SASL_SSL (TLS, PEM key store; SCRAM-SHA-512 login; replication over PLAINTEXT on both targets)"
	}
	return "PLAINTEXT"
}

// securitySetup is the suffix of a summary row's setup for sec: none for
// plaintext, so the plaintext rows keep their names.
func securitySetup(sec string) string {
	if sec == SecuritySASLSSL {
		return ", SASL_SSL"
	}
	return ""
}

// findTarget returns the result of target in results, or nil.
func findTarget(results []Result, target string) *Result {
	for i := range results {
		if results[i].Target == target {
			return &results[i]
		}
	}
	return nil
}

// medianRate is the median records/s of phase name over r's rounds; 0 if
// r failed or has no such phase.
func medianRate(r *Result, name string) float64 {
	if r == nil || r.Err != nil {
		return 0
	}
	st, ok := r.Stat(name)
	if !ok {
		return 0
	}
	return st.RecordsPerSec
}

// WriteSecurityRatios prints, per phase, the sluice/kafka ratio of
// records/s under each security setting (runs[i] measured securities[i]),
// then what each setting after the first costs each target: its rate
// divided by its rate under the first setting.
func WriteSecurityRatios(w io.Writer, securities []string, runs [][]Result) error {
	tw := compare.NewTable(w)
	head := []string{fmt.Sprintf("%-22s", "rec/s by security")}
	for _, sec := range securities {
		head = append(head, strings.ToUpper(sec)+" sluice/kafka")
	}
	for _, sec := range securities[1:] {
		head = append(head, fmt.Sprintf("sluice %s/%s", strings.ToUpper(sec), strings.ToUpper(securities[0])),
			fmt.Sprintf("kafka %s/%s", strings.ToUpper(sec), strings.ToUpper(securities[0])))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var all []*Result
	for _, rs := range runs {
		for i := range rs {
			all = append(all, &rs[i])
		}
	}
	for _, name := range phaseNames(all...) {
		row := []string{fmt.Sprintf("%-22s", name)}
		for _, rs := range runs {
			row = append(row, compare.Ratio(medianRate(findTarget(rs, TargetSluice), name), medianRate(findTarget(rs, TargetKafka), name)))
		}
		for _, rs := range runs[1:] {
			for _, target := range []string{TargetSluice, TargetKafka} {
				row = append(row, compare.Ratio(medianRate(findTarget(rs, target), name), medianRate(findTarget(runs[0], target), name)))
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	return tw.Flush()
}
