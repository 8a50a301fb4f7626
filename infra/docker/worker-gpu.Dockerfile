# dnnbench worker for NVIDIA GPU hosts: onnxruntime-node with its CUDA 12 / TensorRT providers.
# Run with the NVIDIA container toolkit: docker run --gpus all ... worker --queue gpu-<kind>
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
 && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/dnnbench
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund \
 # The one install script this image runs on purpose: fetch the CUDA EP binaries (docs/GPU.md).
 && ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node --ignore-scripts=false
COPY bin ./bin
COPY src ./src
COPY data/catalog.json ./data/catalog.json
ENTRYPOINT ["node", "bin/dnnbench.js"]
CMD ["worker", "--queue", "gpu-h100", "--no-control"]
