# Release build; SQLite, libpq and OpenSSL are compiled in, so the runtime image needs no
# libraries (the build stage's perl and make build OpenSSL).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
# The system's root certificates: webhooks over HTTPS and `sslrootcert=system` verify against them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data jobcraft \
    && mkdir -p /data && chown 10001 /data
COPY --from=build /src/target/release/jobcraft /usr/local/bin/jobcraft
# The default store, SQLite, is a file in the data directory: mount a volume there to keep it.
WORKDIR /data
VOLUME /data
ENV JOBCRAFT_BIND=0.0.0.0:8080
ENV DATABASE_URL=/data/jobcraft.db
EXPOSE 8080
USER 10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["jobcraft", "health"]
ENTRYPOINT ["jobcraft"]
CMD ["serve"]
