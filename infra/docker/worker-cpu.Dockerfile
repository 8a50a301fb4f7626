# dnnbench worker for x86-64 CPU hosts: onnxruntime-node's CPU provider.
FROM node:20-bookworm-slim
WORKDIR /opt/dnnbench
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY data/catalog.json ./data/catalog.json
COPY scripts/install-temporal.sh ./scripts/install-temporal.sh
ENTRYPOINT ["node", "bin/dnnbench.js"]
CMD ["worker", "--queue", "cpu-x86_64"]
