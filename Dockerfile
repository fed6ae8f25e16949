# Skaits: one image, embedded ClickHouse (chDB) by default, or a ClickHouse server via CLICKHOUSE_URL.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci rejects a lock without the other platforms' optional chDB libraries.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build && npm run typecheck && npm prune --omit=dev

FROM node:20-bookworm-slim
# The salt key lives outside /data, so a copy of the data volume holds no usable salt (README, Salts).
ENV NODE_ENV=production PORT=8080 DATA_DIR=/data SALT_KEY_FILE=/keys/salt.key
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /data /keys && chown node:node /data /keys && chmod 700 /keys
USER node
VOLUME ["/data", "/keys"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same command line as `npm start` (package.json): the bundled server, young generation capped at 4 MB.
CMD ["node", "--max-semi-space-size=4", "dist/server/main.mjs"]
