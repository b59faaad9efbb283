# Release build; SQLite and libpq are compiled in, so the runtime image needs no libraries.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
COPY --from=build /src/target/release/jobcraft /usr/local/bin/jobcraft
ENV JOBCRAFT_BIND=0.0.0.0:8080
EXPOSE 8080
USER 10001
ENTRYPOINT ["jobcraft"]
CMD ["serve"]
