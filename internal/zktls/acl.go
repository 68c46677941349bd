package zktls

import (
	"strings"

	"github.com/go-zookeeper/zk"
)

// sensitivePaths are Kafka's ZkData.SensitiveRootPaths: below them only
// the creator may read.
var sensitivePaths = []string{"/config/users", "/config/brokers", "/delegation_token"}

// KafkaACL is the ACL Kafka gives a znode it creates at path (below the
// chroot), as ZkData.defaultAcls: world-open when !secure; else its
// creator (the "auth" scheme: the client's own identity, x509 over TLS)
// may do everything and everyone may read, except below the sensitive
// paths, which only the creator may read. /consumers stays open.
func KafkaACL(secure bool, path string) []zk.ACL {
	if !secure || path == "/consumers" {
		return zk.WorldACL(zk.PermAll)
	}
	acl := zk.AuthACL(zk.PermAll)
	for _, s := range sensitivePaths {
		if strings.HasPrefix(path, s) {
			return acl
		}
	}
	return append(acl, zk.WorldACL(zk.PermRead)...)
}
