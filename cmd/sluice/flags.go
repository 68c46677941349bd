package main

import "flag"

// parseFlags parses args like fs.Parse, except that flags may follow the
// positional arguments as well as precede them: `sluice coordinator status
// --config zoo.cfg` reads as `sluice coordinator --config zoo.cfg status`,
// as operators type ZooKeeper's and Kafka's scripts. "--" ends the flags;
// everything after it is positional. Afterwards fs.Args() holds the
// positional arguments in their order.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args() finds them.
	return fs.Parse(append([]string{"--"}, pos...))
}
