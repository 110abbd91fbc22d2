# syntax=docker/dockerfile:1
# The chat backend: compiled JavaScript on Node 24 LTS, production dependencies only, as the `node` user.
#   docker build -t chat-backend .
#   docker run -p 5000:5000 -e NODE_ENV=production -e JWT_SECRET=... -e DATABASE_URL=... chat-backend
# See deploy/README.md for the compose setup (PostgreSQL, Redis, two nodes, nginx).

ARG NODE_VERSION=24

# ---- build: all dependencies, TypeScript → dist/, the demo client → public/ -------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Install scripts: the lockfile's author runs an npm that only runs those package.json's
# `allowScripts` approves, and it approves none (the native modules load prebuilt binaries). The npm
# in this image predates allowScripts and would run them all, so skip them all. If a package is ever
# approved there, add `RUN npm rebuild <package>` after the install here and below.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# `build:client` bundles the browser demo into public/ (skipped if the script does not exist);
# public/ always exists afterwards so that the runtime stage can copy it.
RUN npm run build \
 && npm run build:client --if-present \
 && mkdir -p public

# ---- runtime ------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# HOST=0.0.0.0: in a container the server must take connections from outside it (npm start outside
# production listens on 127.0.0.1). DATA_DIR and UPLOAD_DIR are made 0700 by the server at start.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=5000 \
    UPLOAD_DIR=/app/uploads \
    DATA_DIR=/app/data
WORKDIR /app
# Production dependencies only: tsx, TypeScript and the test tooling stay out of the image.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# dist/src/db/client.js finds the migrations at ../../../drizzle, i.e. /app/drizzle.
COPY --from=build /app/dist ./dist
COPY --from=build /app/drizzle ./drizzle
COPY --from=build /app/public ./public
# The code stays root-owned (read-only to the app); the app writes only local uploads and, without
# DATABASE_URL, the embedded PGlite database. A named volume mounted on either starts out with this
# ownership.
RUN mkdir -p uploads data && chown node:node uploads data && chmod 700 uploads data
USER node
EXPOSE 5000
# No curl in the slim image: Node's fetch. /health answers 503 while PostgreSQL does not.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `node` directly (not npm) so that SIGTERM from `docker stop` reaches the server, which drains
# connections and closes. It applies pending migrations before listening; `npm run migrate` needs
# tsx, so a pipeline runs them from this image with `node dist/src/db/migrate-cli.js`.
CMD ["node", "dist/src/server.js"]
