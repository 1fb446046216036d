# docker-compose only: the static agent "static-agent" (labels static, linux, base, maven), with the tools
# the seed pipeline's steps call: Maven and a JDK, git, kubectl, envsubst. `docker build`/`docker push`
# steps also need a Docker daemon, which this agent does not have (mounting the host's socket would give
# every build root on the host); see docs/jenkins.md, "Agents".
FROM jenkins/inbound-agent:3283.v92c105e0f819-6-jdk17
USER root
ARG KUBECTL_VERSION=v1.32.4
RUN apt-get update \
    && apt-get install -y --no-install-recommends maven git gettext-base curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && arch="$(dpkg --print-architecture)" \
    && curl -fsSLo /usr/local/bin/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl" \
    && echo "$(curl -fsSL "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${arch}/kubectl.sha256")  /usr/local/bin/kubectl" | sha256sum -c - \
    && chmod 0755 /usr/local/bin/kubectl
USER jenkins
