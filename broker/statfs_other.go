//go:build !linux

package broker

// diskSpace is not known off Linux: DescribeLogDirs answers -1.
func diskSpace(string) (total, usable int64) { return -1, -1 }
