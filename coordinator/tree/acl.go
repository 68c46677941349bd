package tree

import (
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strings"

	zk "github.com/sluicelogs/sluice/coordinator/zkproto"
)

// DigestID returns the digest-scheme id of user:password, as ZooKeeper's
// DigestAuthenticationProvider computes it: user:base64(sha1(user:password)).
func DigestID(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// allowed reports whether a client with the given ids may do perm on a
// node with acl: some entry granting perm must match one of the ids.
// Permits reports whether acl grants perm to a client with ids.
func Permits(acl []zk.ACL, perm zk.Perm, ids []zk.ID) bool { return allowed(acl, perm, ids) }

func allowed(acl []zk.ACL, perm zk.Perm, ids []zk.ID) bool {
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == "world" && a.ID.ID == "anyone" {
			return true
		}
		for _, id := range ids {
			if id.Scheme == "super" {
				return true
			}
			if id.Scheme != a.ID.Scheme {
				continue
			}
			switch id.Scheme {
			case "ip":
				if ipMatches(a.ID.ID, id.ID) {
					return true
				}
			default:
				if id.ID == a.ID.ID {
					return true
				}
			}
		}
	}
	return false
}

// ipMatches reports whether addr matches an ip-scheme ACL id: an address or
// an address/prefix-length.
func ipMatches(aclID, addr string) bool {
	ip := net.ParseIP(addr)
	if ip == nil {
		return false
	}
	if _, network, err := net.ParseCIDR(aclID); err == nil {
		return network.Contains(ip)
	}
	want := net.ParseIP(aclID)
	return want != nil && want.Equal(ip)
}

// fixACL validates an ACL a client asks for and resolves the "auth" scheme
// into the client's authenticated (non-ip) ids, as ZooKeeper does.
func fixACL(acl []zk.ACL, ids []zk.ID) ([]zk.ACL, error) {
	if len(acl) == 0 {
		return nil, zk.ErrInvalidACL
	}
	out := make([]zk.ACL, 0, len(acl))
	for _, a := range acl {
		if a.Perms&^zk.PermAll != 0 {
			return nil, zk.ErrInvalidACL
		}
		switch a.ID.Scheme {
		case "world":
			if a.ID.ID != "anyone" {
				return nil, zk.ErrInvalidACL
			}
			out = append(out, a)
		case "auth":
			found := false
			for _, id := range ids {
				if id.Scheme != "ip" && id.Scheme != "super" {
					out = append(out, zk.ACL{Perms: a.Perms, ID: id})
					found = true
				}
			}
			if !found {
				return nil, zk.ErrInvalidACL
			}
		case "digest":
			if user, hash, ok := strings.Cut(a.ID.ID, ":"); !ok || user == "" || hash == "" {
				return nil, zk.ErrInvalidACL
			}
			out = append(out, a)
		case "x509": // a client certificate's subject (RFC 2253), compared as written
			if a.ID.ID == "" {
				return nil, zk.ErrInvalidACL
			}
			out = append(out, a)
		case "ip":
			if net.ParseIP(a.ID.ID) == nil {
				if _, _, err := net.ParseCIDR(a.ID.ID); err != nil {
					return nil, zk.ErrInvalidACL
				}
			}
			out = append(out, a)
		default:
			return nil, zk.ErrInvalidACL
		}
	}
	return out, nil
}

// Allowed checks that a client with ids may do perm on path (for reads;
// changes are checked as they are applied).
func (t *Tree) Allowed(path string, perm zk.Perm, ids []zk.ID) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, ok := t.nodes[path]
	if !ok {
		return zk.ErrNoNode
	}
	if !allowed(n.acl, perm, ids) {
		return zk.ErrNoAuth
	}
	return nil
}
