# syntax=docker/dockerfile:1
#
# shadowcast's production image: `shadowcast run` (ENTRYPOINT the built CLI, CMD run) with the
# Pulumi CLI and the provider plugins the pool stacks need installed at build time, so nothing is
# downloaded at run time. The deployer runs the pool stacks' program through the Automation API:
# in the image that program is the compiled one (docker/Pulumi.yaml: project shadowcast, main
# dist/stacks/index.js), so production dependencies are all it needs.
#
#   docker build -t shadowcast:0.1.0 .
#   docker run --rm -v shadowcast-state:/var/lib/shadowcast shadowcast:0.1.0 run --once
#
# State (journal, locks, plans, reports, and the default file backend) is in the volume at
# /var/lib/shadowcast; /app/.shadowcast points there, so the CLI's default --state lands in it too.
# README: "Running in production".

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile the CLI and the Pulumi program with every dependency --------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the only ones install Pulumi plugins, which the pulumi stage does.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY stacks ./stacks
RUN npm run build

# ---- pulumi: the CLI, checksum-verified, and the providers' plugins at the lockfile's versions --
FROM ${NODE_IMAGE} AS pulumi
# The CLI matches the @pulumi/pulumi SDK in package-lock.json (the Automation API checks it).
ARG PULUMI_VERSION=3.270.0
# The linux tarball's SHA-256 for this architecture. Empty: checked against the release's
# published pulumi-<version>-checksums.txt instead. Pin it to trust nothing fetched at build time.
ARG PULUMI_SHA256=
ARG TARGETARCH
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN set -eu; \
    case "${TARGETARCH:-amd64}" in \
      amd64) arch=x64 ;; \
      arm64) arch=arm64 ;; \
      *) echo "no Pulumi CLI for architecture ${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    tarball="pulumi-v${PULUMI_VERSION}-linux-${arch}.tar.gz"; \
    cd /tmp; \
    curl -fsSLo "${tarball}" "https://get.pulumi.com/releases/sdk/${tarball}"; \
    if [ -n "${PULUMI_SHA256}" ]; then \
      echo "${PULUMI_SHA256}  ${tarball}" > "${tarball}.sha256"; \
    else \
      curl -fsSLo checksums.txt "https://get.pulumi.com/releases/sdk/pulumi-${PULUMI_VERSION}-checksums.txt"; \
      grep "  ${tarball}\$" checksums.txt > "${tarball}.sha256" \
        || { echo "no checksum for ${tarball} in pulumi-${PULUMI_VERSION}-checksums.txt" >&2; exit 1; }; \
    fi; \
    sha256sum -c "${tarball}.sha256"; \
    tar -xzf "${tarball}" -C /opt; \
    rm -f /tmp/pulumi-* /tmp/checksums.txt; \
    /opt/pulumi/pulumi version
ENV PULUMI_HOME=/opt/pulumi-home \
    PULUMI_SKIP_UPDATE_CHECK=true
COPY package-lock.json /tmp/package-lock.json
# One plugin per Pulumi provider package in dependencies, at the version the lockfile resolved.
RUN set -eu; \
    for provider in aws kubernetes; do \
      version="$(node -p "require('/tmp/package-lock.json').packages['node_modules/@pulumi/${provider}'].version")"; \
      /opt/pulumi/pulumi plugin install resource "${provider}" "${version}" --exact; \
    done; \
    /opt/pulumi/pulumi plugin ls

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini is PID 1: it forwards SIGTERM to node alone (not to its process group), so the runner stops
# at the next step boundary while a `pulumi up` in flight finishes; and it reaps the CLI's and the
# plugins' exited children, which node would leave as zombies. ca-certificates: the Pulumi CLI
# (Go) reads the system's CA store to reach S3, Pulumi Cloud and the cloud APIs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
# A numeric, non-root user, so Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 shadowcast \
    && useradd --system --uid 10001 --gid 10001 --home-dir /home/shadowcast --create-home \
       --shell /usr/sbin/nologin shadowcast
ENV NODE_ENV=production \
    PATH=/opt/pulumi:$PATH \
    PULUMI_HOME=/home/shadowcast/.pulumi \
    PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=pulumi /opt/pulumi /opt/pulumi
COPY --from=pulumi --chown=10001:10001 /opt/pulumi-home /home/shadowcast/.pulumi
COPY --from=build /src/dist ./dist
COPY docker/Pulumi.yaml ./Pulumi.yaml
COPY forecasts ./forecasts
COPY policies/defaults.yaml policies/policy.schema.json ./policies/
COPY policies/pools ./policies/pools
# The app stays root's and read-only to the runner, but /app takes new files from it (group
# write, sticky: it cannot remove or replace root's): the Automation API writes each pool's
# Pulumi.<stack>.yaml beside Pulumi.yaml.
RUN mkdir -p /var/lib/shadowcast \
    && chown 10001:10001 /var/lib/shadowcast \
    && ln -s /var/lib/shadowcast /app/.shadowcast \
    && chown root:10001 /app \
    && chmod 1775 /app
VOLUME ["/var/lib/shadowcast"]
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/src/cli/main.js"]
CMD ["run"]
