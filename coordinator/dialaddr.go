package coordinator

import "net"

// DialAddr turns a listen address into one to dial: an unspecified host
// (0.0.0.0, ::) becomes loopback.
func DialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
