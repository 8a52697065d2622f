# syntax=docker/dockerfile:1
# The service images, one target each. Build context: the repository root (the bundles need
# contract/, migrations/ and the api's database modules).
#   docker build --target api      --platform linux/amd64 .   # API, migrations, reconciler
#   docker build --target consumer --platform linux/amd64 .   # queue worker (its bundle alone)
# The api image also runs the migrations (`node dist/migrate.js latest`) before the API starts,
# and the scheduled reconciliation (`node dist/reconciler.js`).

FROM node:24-bookworm-slim AS base
WORKDIR /app
COPY package.json package-lock.json ./

# Every bundle at once (scripts/build.ts): one cached stage serves both targets.
FROM base AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY contract ./contract
COPY migrations ./migrations
COPY api ./api
COPY consumer ./consumer
COPY reconciler ./reconciler
COPY scripts/build.ts scripts/migrate.ts scripts/migrate-config.ts scripts/app-role.ts scripts/scram-verifier.ts ./scripts/
RUN npm run build

FROM base AS runtime
ENV NODE_ENV=production
# No production dependency has an install script; refusing them keeps the runtime stage inert.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The consumer's bundle carries its npm packages (SELF_CONTAINED_BUNDLES in scripts/build.ts):
# its image is the base image and that one file with its source map, no node_modules.
FROM node:24-bookworm-slim AS consumer
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/dist/consumer.js /app/dist/consumer.js.map ./dist/
USER node
CMD ["node", "--enable-source-maps", "dist/consumer.js"]

# Last, so a build without --target gives the API image.
FROM runtime AS api
COPY --from=build /app/dist/api.js /app/dist/api.js.map /app/dist/migrate.js /app/dist/migrate.js.map /app/dist/reconciler.js /app/dist/reconciler.js.map ./dist/
# The migration runner finds the compiled migrations on disk, beside it.
COPY --from=build /app/dist/migrations ./dist/migrations
USER node
ENV PORT=3000
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/api.js"]
