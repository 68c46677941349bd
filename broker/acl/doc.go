// Package acl is the broker's authorizer, with Apache Kafka's model:
// an ACL binds a resource pattern (a resource type, a name and a pattern
// type) to an entry (a principal, a host, an operation and ALLOW or
// DENY). The enums are Kafka's wire values (kmsg's ACL types).
//
// Matching, as Kafka's AclAuthorizer (ZooKeeper mode):
//
//   - a super user (super.users) may do anything;
//   - the ACLs of a resource are those of its LITERAL name, of the
//     LITERAL wildcard "*" of its type, and of every PREFIXED pattern its
//     name starts with;
//   - with none, allow.everyone.if.no.acl.found decides;
//   - an entry applies to the principal it names or "User:*", to the
//     host it names (the client's IP address) or "*";
//   - a DENY that applies, for the operation or ALL, refuses (DENY wins);
//   - else an ALLOW that applies, for the operation or ALL, allows;
//     DESCRIBE is also allowed by READ, WRITE, DELETE or ALTER, and
//     DESCRIBE_CONFIGS by ALTER_CONFIGS.
//
// AuthorizeAny is Kafka's authorizeByResourceType (KIP-679, used by
// InitProducerId without a transactional id: WRITE on any topic).
//
// Storage, as Kafka 2.x keeps ACLs in ZooKeeper (store.go): a pattern's
// entries in one node, /kafka-acl/<Type>/<name> for LITERAL and
// /kafka-acl-extended/prefixed/<Type>/<name> for PREFIXED, holding
// {"version":1,"acls":[{"principal":…,"permissionType":"Allow",
// "operation":"Read","host":"*"}]}; each change announced by a
// sequential node under /kafka-acl-changes (data "<Type>:<name>") or
// /kafka-acl-extended-changes (data {"version":1,"resourceType":…,
// "name":…,"patternType":"PREFIXED"}), on which every broker reads the
// pattern's node again.
package acl
