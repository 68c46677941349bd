package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

func runGroups(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice groups", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	bootstrap := fs.String("bootstrap-server", "", "REQUIRED: the Kafka server(s) to connect to, host:port[,host:port…]")
	list := fs.Bool("list", false, "list all consumer groups")
	describe := fs.Bool("describe", false, "describe the given groups: committed offsets, log end offsets and lag per partition")
	del := fs.Bool("delete", false, "delete the given groups (they must have no active members)")
	var groups listFlag
	fs.Var(&groups, "group", "a consumer group (repeatable)")
	allGroups := fs.Bool("all-groups", false, "with --describe or --delete: every group")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	actions := 0
	for _, b := range []bool{*list, *describe, *del} {
		if b {
			actions++
		}
	}
	if actions != 1 {
		return errors.New("exactly one of --list, --describe or --delete must be given")
	}
	if !*list && len(groups) == 0 && !*allGroups {
		return errors.New("option [describe] or [delete] takes one of these options: [all-groups], [group]")
	}
	cl, err := kafkaClient(*bootstrap)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	if *list || *allGroups {
		listed, err := adm.ListGroups(ctx)
		if err != nil {
			return err
		}
		if *list {
			for _, g := range listed.Groups() {
				fmt.Fprintln(e.stdout, g)
			}
			return nil
		}
		groups = listed.Groups()
		if len(groups) == 0 {
			return nil
		}
	}
	if *describe {
		return describeGroups(ctx, e, adm, groups)
	}
	rs, err := adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return err
	}
	var ok, failed []string
	for _, r := range rs.Sorted() {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", r.Group, kafkaMessage(r.Err, r.ErrMessage)))
		} else {
			ok = append(ok, "'"+r.Group+"'")
		}
	}
	if len(failed) == 0 {
		_, err := fmt.Fprintf(e.stdout, "Deletion of requested consumer groups (%s) was successful.\n", strings.Join(ok, ", "))
		return err
	}
	if len(ok) > 0 {
		fmt.Fprintf(e.stdout, "These consumer groups were deleted successfully: %s\n", strings.Join(ok, ", "))
	}
	return fmt.Errorf("Deletion of some consumer groups failed:\n%s", strings.Join(failed, "\n"))
}

// describeGroups prints Kafka's offsets table for each group. Like
// kafka-consumer-groups.sh 3.9 it starts every line, the header included,
// with "\n" and so ends without one; notes on the group's state go to
// stderr.
func describeGroups(ctx context.Context, e *env, adm *kadm.Client, groups []string) error {
	lags, err := adm.Lag(ctx, groups...)
	if err != nil {
		return err
	}
	var missing []string
	for _, g := range groups {
		l, ok := lags[g]
		switch {
		case !ok || l.State == "Dead":
			missing = append(missing, fmt.Sprintf("Consumer group '%s' does not exist.", g))
			continue
		case l.Error() != nil:
			return fmt.Errorf("Consumer group '%s': %w", g, l.Error())
		case l.State == "PreparingRebalance" || l.State == "CompletingRebalance" || l.State == "Assigning" || l.State == "Reconciling":
			fmt.Fprintf(e.stderr, "\nWarning: Consumer group '%s' is rebalancing.\n", g)
		case len(l.Members) == 0:
			fmt.Fprintf(e.stderr, "\nConsumer group '%s' has no active members.\n", g)
		}
		printLagTable(e.stdout, g, l.Lag.Sorted())
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, " "))
	}
	return nil
}

func printLagTable(w io.Writer, group string, rows []kadm.GroupMemberLag) {
	orDash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	type row struct{ topic, partition, current, end, lag, member, host, client string }
	out := make([]row, 0, len(rows))
	gw, tw, mw, hw := max(15, len(group)), 15, 15, 15
	for _, l := range rows {
		if l.Member == nil && l.Commit.At < 0 {
			continue // a commit of -1 (no offset yet), which Kafka's tool leaves out
		}
		r := row{topic: l.Topic, partition: strconv.Itoa(int(l.Partition)), current: "-", end: "-", lag: "-", member: "-", host: "-", client: "-"}
		if l.Commit.At >= 0 {
			r.current = strconv.FormatInt(l.Commit.At, 10)
		}
		if l.End.Err == nil {
			r.end = strconv.FormatInt(l.End.Offset, 10)
			if l.Commit.At >= 0 {
				r.lag = strconv.FormatInt(l.End.Offset-l.Commit.At, 10)
			}
		}
		if l.Member != nil {
			r.member, r.host, r.client = orDash(l.Member.MemberID), orDash(l.Member.ClientHost), orDash(l.Member.ClientID)
		}
		tw, mw, hw = max(tw, len(r.topic)), max(mw, len(r.member)), max(hw, len(r.host))
		out = append(out, r)
	}
	format := fmt.Sprintf("\n%%-%ds %%-%ds %%-10s %%-15s %%-15s %%-15s %%-%ds %%-%ds %%s", gw, tw, mw, hw)
	fmt.Fprintf(w, format, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID")
	for _, r := range out {
		fmt.Fprintf(w, format, group, r.topic, r.partition, r.current, r.end, r.lag, r.member, r.host, r.client)
	}
}
