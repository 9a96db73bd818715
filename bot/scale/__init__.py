"""Several instances of the bot behind a load balancer: shared locks and limits, the cluster runner."""
