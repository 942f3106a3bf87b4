# syntax=docker/dockerfile:1
# One image per meshmart service:
#   docker build --build-arg SERVICE=catalog -t meshmart/catalog:dev .
# Node 24 LTS on Debian slim, production dependencies only, runs as the
# unprivileged `node` user (uid 1000) and works with a read-only root
# filesystem (only /tmp must be writable: tsx keeps its compile cache there).
# Kubernetes probes /healthz and /readyz, so the image has no HEALTHCHECK.

ARG NODE_IMAGE=node:24.21.0-slim

# --- every package.json and the lockfile, nothing else: the dependency layer
# --- below is rebuilt only when they change.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /out \
 && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
    | xargs -I{} cp --parents {} /out

# --- production dependencies of the service, the shared runtime and the protos.
FROM ${NODE_IMAGE} AS deps
ARG SERVICE
RUN test -n "${SERVICE}" || (echo "build with --build-arg SERVICE=<name>" >&2; exit 1)
WORKDIR /app
COPY --from=manifests /out/ ./
# tsx runs the TypeScript sources. It is a root devDependency, so it is installed on its own, at the
# version the lockfile pins, and linked where `node --import tsx` resolves it.
# Behind a TLS-inspecting proxy, pass the CA bundle that trusts it as a build
# secret (never baked into a layer):
#   --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi \
 && npm ci --omit=dev --no-audit --no-fund \
      --workspace=services/proto --workspace=services/platform --workspace="services/${SERVICE}" \
 && TSX_VERSION="$(node -p "require('./package-lock.json').packages['node_modules/tsx'].version")" \
 && npm install --global --no-audit --no-fund "tsx@${TSX_VERSION}" \
 && ln -s "$(npm root --global)/tsx" node_modules/tsx

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
COPY package.json ./
# All service sources (small; .dockerignore drops node_modules): a service may
# import another workspace (inventory seeds from @meshmart/catalog's products).
COPY services/ services/
USER node
EXPOSE 8080
# exec: node is PID 1 and receives SIGTERM itself (graceful shutdown).
CMD ["sh", "-c", "exec node --import tsx \"services/${SERVICE}/src/main.ts\""]
