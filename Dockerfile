# syntax=docker/dockerfile:1
# One image per meshmart service:
#   docker build --build-arg SERVICE=catalog -t meshmart/catalog:dev .
# Node 24 LTS on Debian slim, production dependencies only, runs as the
# unprivileged `node` user (uid 1000) and works with a read-only root
# filesystem (only /tmp must be writable: tsx keeps its compile cache there).
# The image holds the service's workspace and the workspaces it declares as
# dependencies (scripts/images/workspace-closure.mjs), nothing of any other
# service. Kubernetes probes /healthz and /readyz, so the image has no HEALTHCHECK.
# Behind a TLS-inspecting proxy, pass the CA bundle that trusts it as a build
# secret (never baked into a layer):
#   --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt

ARG NODE_IMAGE=node:24.21.0-slim

# --- the sources, and which of them this service needs.
FROM ${NODE_IMAGE} AS sources
ARG SERVICE
RUN test -n "${SERVICE}" || (echo "build with --build-arg SERVICE=<name>" >&2; exit 1)
WORKDIR /src
COPY . .
# Every package.json (without workspace devDependencies) and the lockfile (npm ci checks the
# lockfile against all of them), and the sources of the service's workspace closure only.
RUN mkdir -p /manifests /app \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
    | xargs -I{} cp --parents {} /manifests \
 && node scripts/images/strip-dev-dependencies.mjs /manifests \
 && node scripts/images/workspace-closure.mjs "services/${SERVICE}" > /manifests/closure \
 && xargs -I{} cp -r --parents {} /app < /manifests/closure \
 && find /app -name '*.test.ts' -delete

# --- production dependencies of the closure's workspaces.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=sources /manifests/ ./
# tsx runs the TypeScript sources. It is a root devDependency, so it is installed on its own, at the
# version the lockfile pins, and linked where `node --import tsx` resolves it.
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi \
 && npm ci --omit=dev --no-audit --no-fund $(sed 's/^/--workspace=/' closure) \
 && TSX_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")" \
 && npm install --global --no-audit --no-fund "tsx@${TSX_VERSION}" \
 && ln -s "$(npm root --global)/tsx" node_modules/tsx \
 && node -p "require('./package.json').workspaces.join('\\n')" | grep -vxF -f closure | xargs rm -rf \
 && find node_modules/@meshmart -maxdepth 1 -xtype l -delete

# --- the image.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    PORT=8080 \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
COPY --from=deps /usr/local/lib/node_modules/tsx /usr/local/lib/node_modules/tsx
COPY --from=deps /app/ ./
COPY --from=sources /app/ ./
USER node
EXPOSE 8080
# exec: node is PID 1 and receives SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "exec node --import tsx \"services/${SERVICE}/src/main.ts\""]
