#!/usr/bin/env bash
# The deployment of docs/deploy.md, for real: nginx (Debian's) with a self-signed certificate, running
# deploy/nginx/helpdesk.conf in front of two release nodes that share a MariaDB database and a Redis of this
# script's own, and a visitor and an agent chatting through it over https/wss in Chromium (end2end/deploy).
#
# Needs the release build (scripts/build.sh), MariaDB/MySQL (HELPDESK_TEST_MYSQL_URL, or root@127.0.0.1:3306),
# redis-server and nginx on PATH (scripts/setup.sh --test installs them). Everything it starts is stopped at exit.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

mysql_url="${HELPDESK_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
server="$CARGO_TARGET_DIR/release/server"
[ -x "$server" ] || { echo "no release build at $server: run scripts/build.sh" >&2; exit 1; }
for tool in nginx redis-server openssl mariadb; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup.sh --test" >&2; exit 1; }
done

tmp=$(mktemp -d)
db="hd_t_deploy_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  mariadb -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS \`$db\`" 2>/dev/null || true
  if [ "${keep:-0}" = 1 ]; then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() {
  echo "deploy check failed: $*" >&2
  for log in "$tmp"/*.log; do echo "--- $log"; tail -n 30 "$log"; done >&2
  keep=1
  exit 1
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url, what
  for _ in $(seq 1 150); do
    if curl -fsk "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "$2 did not answer at $1"
}

redis_port=$(free_port); node1=$(free_port); node2=$(free_port); https_port=$(free_port); http_port=$(free_port)
host_port=$(free_port)
public="https://127.0.0.1:$https_port"

mariadb -uroot -h127.0.0.1 -e "CREATE DATABASE \`$db\` CHARACTER SET utf8mb4"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$tmp/redis.log" 2>&1 &
pids+=($!)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$tmp/tls.key" -out "$tmp/tls.pem" >/dev/null 2>&1

# The nodes as docs/deploy.md runs them: one database, one Redis, one secret, the proxy trusted, cookies Secure.
start_node() { # port, name
  env -i PATH="$PATH" HOME="$tmp" \
    DATABASE_URL="${mysql_url%/*}/$db" REDIS_URL="redis://127.0.0.1:$redis_port" \
    HELPDESK_BIND="127.0.0.1:$1" HELPDESK_DATA_DIR="$tmp/$2" HELPDESK_PUBLIC_URL="$public" \
    HELPDESK_JWT_SECRET="deploy-check-secret-0123456789abcdef" HELPDESK_COOKIE_SECURE=true \
    HELPDESK_TRUSTED_PROXIES=127.0.0.1 HELPDESK_ADMIN_EMAIL=admin@deploy.test HELPDESK_ADMIN_PASSWORD=deploy-password-123 \
    LEPTOS_SITE_ROOT="$LEPTOS_SITE_ROOT" HELPDESK_WIDGET_DIR="$HELPDESK_WIDGET_DIR" RUST_LOG=warn \
    "$server" >"$tmp/$2.log" 2>&1 &
  pids+=($!)
}
# One after the other: the first creates the super admin on the empty database.
start_node "$node1" node1
wait_for "http://127.0.0.1:$node1/readyz" "node 1"
start_node "$node2" node2
wait_for "http://127.0.0.1:$node2/readyz" "node 2"
for port in "$node1" "$node2"; do
  curl -fs "http://127.0.0.1:$port/readyz" | grep -q '"redis":"ok"' || fail "node on $port does not follow Redis"
done

# deploy/nginx/helpdesk.conf with this run's names, certificate, ports and nodes.
sed -e "s/help\.example\.com/127.0.0.1/g" \
  -e "s#/etc/ssl/certs/127.0.0.1.pem#$tmp/tls.pem#; s#/etc/ssl/private/127.0.0.1.key#$tmp/tls.key#" \
  -e "s/listen 443 ssl http2;/listen 127.0.0.1:$https_port ssl http2;/; /listen \[::\]/d" \
  -e "s/listen 80;/listen 127.0.0.1:$http_port;/" \
  -e "s/server 127.0.0.1:3001 /server 127.0.0.1:$node1 /; s/server 127.0.0.1:3002 /server 127.0.0.1:$node2 /" \
  deploy/nginx/helpdesk.conf >"$tmp/helpdesk.conf"
grep -q "$tmp/tls.pem" "$tmp/helpdesk.conf" || fail "the certificate path was not replaced"
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx.conf" <<EOF
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx.log warn;
worker_processes 1;
events { worker_connections 1024; }
http {
    log_format upstream '\$remote_addr "\$request" \$status \$upstream_addr';
    access_log $tmp/nginx-access.log upstream;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    include $tmp/helpdesk.conf;
}
EOF
nginx -t -p "$tmp/nginx" -c "$tmp/nginx.conf" >"$tmp/nginx-test.log" 2>&1 || fail "nginx -t refused the config"
nginx -p "$tmp/nginx" -c "$tmp/nginx.conf" -g 'daemon off;' &
pids+=($!)
wait_for "$public/readyz" "nginx"

# Plain HTTP is sent to HTTPS; HTTPS answers carry HSTS.
location=$(curl -s -o /dev/null -w '%{redirect_url}' "http://127.0.0.1:$http_port/admin/login")
case "$location" in https://127.0.0.1*/admin/login) ;; *) fail "http is not redirected to https: '$location'" ;; esac
curl -sk -D - -o /dev/null "$public/healthz" | grep -qi '^strict-transport-security: max-age=31536000' \
  || fail "no HSTS header"

HOST_PORT="$host_port" HELPDESK_URL="$public" node end2end/host-server.mjs >"$tmp/host.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$host_port/healthz" "the customer's page"

echo "nginx on $public in front of nodes :$node1 and :$node2"
(cd end2end && HELPDESK_URL="$public" HOST_URL="http://127.0.0.1:$host_port" \
  HELPDESK_ADMIN_EMAIL=admin@deploy.test HELPDESK_ADMIN_PASSWORD=deploy-password-123 \
  npx playwright test -c playwright.deploy.config.ts) || fail "the exchange through nginx failed"

# No sticky sessions: both nodes served the run's requests.
for port in "$node1" "$node2"; do
  grep -q "127.0.0.1:$port\$" "$tmp/nginx-access.log" || fail "node :$port served nothing through nginx"
done
echo "deploy check: ok ($(wc -l <"$tmp/nginx-access.log") requests through nginx, both nodes served)"
