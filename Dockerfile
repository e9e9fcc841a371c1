# Multi-stage build of quantrac and stationsim.
# Go 1.26.8 has known reachable vulnerabilities in net/http, crypto/tls and crypto/x509: the
# go command fetches the patched toolchain named by GOTOOLCHAIN from the module proxy.
FROM golang:1.26-bookworm AS build
ENV GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/quantrac ./cmd/quantrac && \
    go build -trimpath -ldflags "-s -w" -o /out/stationsim ./cmd/stationsim

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/quantrac /out/stationsim /usr/local/bin/
USER nonroot
EXPOSE 9786
ENTRYPOINT ["/usr/local/bin/quantrac"]
CMD ["run", "-config", "/etc/quantrac/quantrac.yaml"]
