package broker

import "syscall"

// diskSpace is the total and usable bytes of the file system holding
// dir, as Java's FileStore getTotalSpace and getUsableSpace (what
// DescribeLogDirs v4+ reports); -1 when it cannot tell.
func diskSpace(dir string) (total, usable int64) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1, -1
	}
	return int64(st.Blocks) * st.Frsize, int64(st.Bavail) * st.Frsize
}
