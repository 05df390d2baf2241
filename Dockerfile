# botlens HTTP service on a slim base. Nothing is compiled and no native addon is rebuilt: the image installs the
# packed package the way a user does, plus the optional peers the service needs. Build and run:
#   docker build -t botlens .                       (or: podman build -t botlens .)
#   docker run -p 8080:8080 -v "$PWD/models:/models:ro" botlens
# A heuristic-only image (no model runtime, about 450 MB smaller):
#   docker build --build-arg PEERS="fastify @fastify/swagger prom-client" -t botlens-light .
FROM node:20-bookworm-slim AS build
WORKDIR /src
# .npmrc: no install scripts run during the build (nothing downloads the ONNX Runtime CUDA provider).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsup.config.ts README.md LICENSE ./
COPY src ./src
ARG PEERS="fastify @fastify/swagger prom-client @huggingface/transformers"
# The peers' version ranges come from package.json, so the image installs what the package declares.
RUN npx tsup && mkdir /pkg && npm pack --pack-destination /pkg \
 && node -e "const p=require('./package.json').peerDependencies; console.log(process.argv.slice(1).map(k=>k+'@'+p[k]).join(' '))" $PEERS > /pkg/peers.txt

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    BOTLENS_CACHE_DIR=/models \
    BOTLENS_OFFLINE=1
WORKDIR /app
COPY --from=build /pkg /tmp/pkg
COPY botlens.config.example.json ./
# ONNXRUNTIME_NODE_INSTALL=skip: onnxruntime-node's postinstall would download the CUDA provider; the CPU
# build ships inside the package.
RUN echo '{"name":"botlens-service","private":true}' > package.json \
 && ONNXRUNTIME_NODE_INSTALL=skip npm install --omit=dev --no-audit --no-fund /tmp/pkg/botlens-*.tgz $(cat /tmp/pkg/peers.txt) \
 && rm -rf /tmp/pkg /root/.npm \
 && mkdir -p /models && chown node:node /models
# Models are mounted at /models (or pulled at build time with: RUN npx botlens pull Xenova/e5-small-v2).
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "node_modules/botlens/dist/cli/main.js", "serve", "--host", "0.0.0.0", "--port", "8080"]
