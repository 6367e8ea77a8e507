# The image the CronJob recipe (examples/cronjob) runs: a static certform
# on distroless, as a non-root user, with no shell. Build it with
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/certform/certform:v0.1.0 .
# (or any daemonless builder that reads a Dockerfile: buildah, kaniko).
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/certform ./cmd/certform

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/certform /usr/local/bin/certform
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/certform"]
