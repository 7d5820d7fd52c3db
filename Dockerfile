# texreport with TeX Live and fonts from Debian, for the containerized export endpoint.
# A thin wrapper around scripts/install.sh, so that what CI tests is what the image runs.
#
#   docker build -t texreport .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp --pids-limit 256 texreport
#   docker run --rm -i texreport render - -o /dev/stdout < report.json > report.pdf
FROM debian:bookworm-slim

ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

COPY . /opt/texreport/src
RUN bash /opt/texreport/src/scripts/install.sh --venv /opt/texreport/venv --extras http --no-editable --no-test-tools \
 && rm -rf /var/lib/apt/lists/* /root/.cache \
 && useradd --system --create-home --uid 10001 texreport \
 && install -d -o texreport -g texreport /opt/texreport/cache

USER texreport
WORKDIR /home/texreport
# texreport's cache lives in the image: the precompiled xelatex format, font coverage and
# the compiled template are built here, once, by the user that runs the service; with
# --read-only the running container only reads them. fontconfig's own cache goes to /tmp.
ENV PATH=/opt/texreport/venv/bin:$PATH XDG_CACHE_HOME=/tmp/texreport-cache TEXREPORT_CACHE_DIR=/opt/texreport/cache
RUN texreport sample > /tmp/sample.json \
 && texreport render /tmp/sample.json -o /tmp/sample.pdf \
 && ls /opt/texreport/cache/formats/*.fmt \
 && rm -rf /tmp/sample.json /tmp/sample.pdf /tmp/texreport-cache
EXPOSE 8080
ENTRYPOINT ["texreport"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
