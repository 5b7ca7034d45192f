# A persistent OpenBao (Vault API) server for Atrium: data on disk, sealed at every start until
# an operator unseals it (docs/operations.md, "Vault for real use"). docker-compose.vault.yml
# mounts this file; tests/ports/vault-persistent.test.ts starts the same file with the bao
# binary scripts/servers.sh builds, then initialises, unseals and restarts it.

storage "file" {
  path = "/openbao/file"
}

# Plain HTTP on the container's port, published on the host's loopback only. Anywhere else,
# give the listener a certificate (tls_cert_file, tls_key_file) and remove tls_disable.
listener "tcp" {
  address     = "0.0.0.0:8200"
  tls_disable = true
}

api_addr = "http://127.0.0.1:8200"
ui       = false
