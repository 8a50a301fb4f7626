# dnnbench worker for Jetson boards (arm64, L4T). onnxruntime-node's npm package is CPU-only on
# arm64; TensorRT timings come from JetPack's trtexec (docs/GPU.md). Match the L4T tag to the
# board's JetPack (cat /etc/nv_tegra_release). Run with: docker run --runtime nvidia ...
FROM nvcr.io/nvidia/l4t-jetpack:r36.4.0
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/dnnbench
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY data/catalog.json ./data/catalog.json
ENTRYPOINT ["node", "bin/dnnbench.js"]
CMD ["worker", "--queue", "jetson-orin", "--no-control"]
