# syntax=docker/dockerfile:1
# One image for the API, the worker and the migration Job (deploy/kubernetes/ runs each with
# its own command): node api/main.ts, node worker/main.ts, node db/migrate.ts. The portal
# (npm run build) and the worker's workflow bundles (npm run build:workflows) are built here,
# so the containers start without building anything and with a read-only root file system.
# Build with any container engine: docker build -t <registry>/atrium:<version> .
# (docs/operations.md, "Atrium on Kubernetes"; CI has no container engine and builds no image.)
ARG NODE_IMAGE=node:24-bookworm-slim

# Every dependency, dev ones included: the portal's and the bundles' builds need them.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run build:workflows -- /app/build/workflows

# Only what runs: production dependencies.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY package.json ./
COPY activities ./activities
COPY api ./api
COPY config ./config
COPY contracts ./contracts
COPY db ./db
COPY integrations ./integrations
COPY logging ./logging
COPY tracing ./tracing
COPY worker ./worker
COPY workflows ./workflows
COPY --from=build /app/web/build ./web/build
COPY --from=build /app/build/workflows ./build/workflows
# The node image's unprivileged user, by number so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
ENV HOST=0.0.0.0 \
    WORKER_WORKFLOW_BUNDLE_DIR=/app/build/workflows
EXPOSE 3000 9464 9465
CMD ["node", "api/main.ts"]
