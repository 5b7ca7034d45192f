# Atrium's own policy in Vault or OpenBao: what the API and the worker do with the secret store
# (integrations/secrets/vault.ts), and nothing more. Mounts as Atrium expects them by default
# (VAULT_KV_MOUNT=secret, VAULT_TRANSIT_MOUNT=transit, VAULT_APPROLE_MOUNT=approle); rename the
# paths if yours differ. tests/ports/secrets-vault.test.ts runs the secret store's whole
# contract with an AppRole bound to exactly this file.

# Secrets (KV v2): tenants' paths (tenants/<slug>/...) and the platform's own.
path "secret/data/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "secret/metadata/*" {
  capabilities = ["read", "list", "delete"]
}
path "secret/destroy/*" {
  capabilities = ["update"]
}

# Encryption (transit): a key is created on its first use.
path "transit/encrypt/*" {
  capabilities = ["create", "update"]
}
path "transit/decrypt/*" {
  capabilities = ["update"]
}

# Each tenant's own access: a policy and an AppRole named atrium-tenant-<slug>, written at
# provisioning and deleted at offboarding (the trailing * also covers role-id and secret-id).
path "sys/policies/acl/atrium-tenant-*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "auth/approle/role/atrium-tenant-*" {
  capabilities = ["create", "read", "update", "delete"]
}

# Its own token: checked at boot, renewed before it lapses.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
