# syntax=docker/dockerfile:1
# One image per meshmart service:
#   docker build --build-arg SERVICE=catalog -t meshmart/catalog:dev .
# Node 24 LTS on Debian slim, production dependencies only, runs as the
# unprivileged `node` user (uid 1000) and works with a read-only root
# filesystem. It runs the service's bundle, built from its TypeScript at image
# build time (scripts/infra/src/stack/bundle-service.mjs, as the local stack
# does); no TypeScript is compiled at run time. The image holds the service's
# workspace and the workspaces it declares as dependencies
# (scripts/images/workspace-closure.mjs), nothing of any other service.
# ENTRY names another entry point of the workspace (the load generator's image:
#   --build-arg SERVICE=e2e --build-arg ENTRY=src/load/main.ts).
# Kubernetes probes /healthz and /readyz, so the image has no HEALTHCHECK.
# Behind a TLS-inspecting proxy, pass the CA bundle that trusts it as a build
# secret (never baked into a layer):
#   --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt

ARG NODE_IMAGE=node:24.21.0-slim
ARG ENTRY=src/main.ts

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
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi \
 && npm ci --omit=dev --no-audit --no-fund $(sed 's/^/--workspace=/' closure) \
 && node -p "require('./package.json').workspaces.join('\\n')" | grep -vxF -f closure | xargs rm -rf \
 && find node_modules/@meshmart -maxdepth 1 -xtype l -delete

# --- the bundle: esbuild at the version the lockfile pins, installed beside the
# bundler script only (it is a dependency of the local infrastructure, not of a service).
FROM deps AS bundle
ARG SERVICE
ARG ENTRY
COPY --from=sources /app/ ./
COPY --from=sources /src/scripts/infra/src/stack/bundle-service.mjs /bundler/
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi \
 && ESBUILD_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/esbuild'].version")" \
 && npm install --prefix /bundler --no-save --no-audit --no-fund "esbuild@${ESBUILD_VERSION}" \
 && node /bundler/bundle-service.mjs /app "services/${SERVICE}" "services/${SERVICE}/dist/image" "${ENTRY}"

# --- the image.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    PORT=8080 \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
COPY --from=deps /app/ ./
# The sources stay beside the bundle: the migrations are read from them, and
# the source maps point at them.
COPY --from=sources /app/ ./
COPY --from=bundle /app/services/${SERVICE}/dist/image/ ./services/${SERVICE}/dist/image/
USER node
EXPOSE 8080
# exec: node is PID 1 and receives SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "exec node --enable-source-maps \"services/${SERVICE}/dist/image/main.mjs\""]
