"""Past one box: Kamailio in front of several Asterisk nodes, the centre's parts once (docs/cluster.md).

    layout    trunks/cluster.yaml: Kamailio's address, the nodes (name, address, weight), the
              PostgreSQL database (SQLite refused, with why)
    kamailio  kamailio.cfg and dispatcher.list rendered from the layout, `kamailio -c`, kamcmd
    nodes     each node's site files: its own systemname, SIP address, the carrier seen as Kamailio
    deploy    `ivr cluster render`: every file of the layout, for real machines or the lab
    netns     network namespaces of one machine (the lab): a bridge, a namespace per machine
    plan      the lab's generated layout on a subnet that exists only in its namespaces
    lab       `ivr cluster up|down`: Kamailio and N Asterisk nodes in namespaces, faults on a node
    status    `ivr cluster status`: each node as the dispatcher and its Asterisk see it
    calls     SIPp as the carrier through Kamailio; the carrier's and Kamailio's records read back
    failover  what a node's death did to the calls (cut, retried, failed), judged from the records

The cluster stands beside the wiring, like the demo and the benchmark: it composes the
Asterisk adapter (rendering, processes) and SIPp, and nothing below imports it.
"""
