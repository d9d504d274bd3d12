"""Several hosts on one machine, for the multi-host test (`make test-cluster`) and its benchmark
(`make bench-cluster`): Linux network namespaces joined by a bridge, one database host (its own PostgreSQL and
Redis), application hosts each running the real `optirec serve`, and HAProxy (`deploy/haproxy.cfg`) in front on a
host of its own. Needs root, `ip netns`, PostgreSQL's server binaries and HAProxy (`docs/deploy.md`)."""
