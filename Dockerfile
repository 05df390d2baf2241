# botlens HTTP service. Not built or run in this project's CI (no Docker engine there): kept simple on purpose.
# Build:  docker build -t botlens .
# Run:    docker run -p 8080:8080 -v "$PWD/models:/models:ro" botlens
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts && npm rebuild hnswlib-node sharp
COPY tsconfig.json tsup.config.ts ./
COPY src ./src
RUN npx tsup && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BOTLENS_CACHE_DIR=/models \
    BOTLENS_OFFLINE=1
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json botlens.config.example.json ./
# Models are mounted at /models (or pulled at build time with: RUN node dist/cli/main.js pull Xenova/e5-small-v2).
RUN mkdir -p /models && chown node:node /models
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/cli/main.js", "serve", "--host", "0.0.0.0", "--port", "8080"]
