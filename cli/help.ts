// Help texts. Plain strings, so `poolform --help` loads nothing else.

export const MAIN_HELP = `Usage: poolform [global options] <command> [args]

poolform plans and applies declarative configurations of virtualization pools
(XenServer / XCP-ng, Proxmox VE, oVirt) written in HCL.

Main commands:
  validate      Check whether the configuration is valid
  plan          Show the changes the configuration requires
  apply         Create or update infrastructure
  destroy       Destroy everything poolform manages here

Other commands:
  fmt           Rewrite configuration files in the canonical format
  show          Show a saved plan or the current state
  output        Show output values
  graph         Print the dependency graph in DOT
  state         Inspect and change the state (list, show, mv, rm)
  import        Adopt an existing object into the state
  force-unlock  Release a stuck state lock
  providers     Show provider schemas (providers schema -json)
  version       Show the poolform version
  lab           Run a simulated lab on this machine (poolform lab xenserver|proxmox)

Global options:
  -chdir=DIR    Switch to DIR before running the command
  -help         Show this help, or a command's help (poolform plan -help)
  -version      Same as the version command
`;

const VAR_FLAGS = `  -var 'NAME=VALUE'    Set a root module variable (repeatable)
  -var-file=FILE       Read variable values from an HCL file (repeatable)`;
const LOCK_FLAGS = `  -lock=false          Don't hold the state lock (dangerous with others around)
  -lock-timeout=10s    Wait this long for a held state lock`;

export const COMMAND_HELP: Record<string, string> = {
  validate: `Usage: poolform [global options] validate [-json] [-no-color]

Checks the configuration in the current directory: syntax, references, types
and schemas, without contacting any platform or reading state. Every error is
reported, with file:line:col.

  -json        Print the result as JSON
  -no-color    No terminal colours
`,
  plan: `Usage: poolform [global options] plan [options]

Observes the platforms, compares them with the configuration and the state, and
prints the changes apply would make. Makes no changes.

  -out=FILE            Save the plan, for apply FILE
  -destroy             Plan to destroy everything managed here
  -refresh=false       Don't observe the platforms; trust the state
  -target=ADDRESS      Plan only this object and what it depends on (repeatable)
  -replace=ADDRESS     Plan to replace this object (repeatable)
  -detailed-exitcode   Exit 0 with no changes, 1 on error, 2 with changes
  -json                Print the plan in Terraform's JSON plan format
  -markdown            Print the plan as Markdown (for pull requests)
  -no-color            No terminal colours (also NO_COLOR=1)
  -parallelism=N       How many operations run at once (default 10)
${VAR_FLAGS}
${LOCK_FLAGS}
`,
  apply: `Usage: poolform [global options] apply [options] [PLANFILE]

Makes the changes. With PLANFILE, does exactly what that saved plan says, or
refuses if the configuration, the state or the observed objects have changed
since it was made. Without it, plans first and asks for confirmation.

  -auto-approve        Don't ask for confirmation
  -parallelism=N       How many operations run at once (default 10)
  -destroy             Destroy everything managed here
  -refresh=false       Don't observe the platforms before planning
  -target=ADDRESS      Only this object and what it depends on (repeatable)
  -replace=ADDRESS     Replace this object (repeatable)
  -no-color            No terminal colours
${VAR_FLAGS}
${LOCK_FLAGS}
`,
  destroy: `Usage: poolform [global options] destroy [options]

Destroys every object this configuration manages. Same as apply -destroy.

  -auto-approve        Don't ask for confirmation
  -target=ADDRESS      Only this object and what depends on it (repeatable)
  -parallelism=N       How many operations run at once (default 10)
${VAR_FLAGS}
${LOCK_FLAGS}
`,
  fmt: `Usage: poolform [global options] fmt [options] [DIR|FILE...]

Rewrites configuration files in the canonical format.

  -check       Don't write; exit 3 if any file needs formatting
  -diff        Show the changes
  -list=false  Don't list the files that changed
  -recursive   Also format subdirectories
  -write=false Don't write files (implied by -check)
`,
  show: `Usage: poolform [global options] show [-json] [-no-color] [PLANFILE]

Shows a saved plan, or the current state when no file is given.

  -json        Terraform's JSON format (plan or state)
  -markdown    A saved plan as Markdown
  -no-color    No terminal colours
`,
  output: `Usage: poolform [global options] output [-json] [-raw] [NAME]

Shows the root module's output values from the state. Sensitive values are
never stored, so they are shown as (sensitive value).
`,
  graph: `Usage: poolform [global options] graph [-type=config|plan]

Prints the dependency graph of the configuration's resources in DOT.
`,
  state: `Usage: poolform [global options] state <subcommand> [options] [args]

  list [ADDRESS...]      List the objects in the state
  show ADDRESS           Show one object's attributes
  mv SOURCE DESTINATION  Move an object (or module) to another address
  rm ADDRESS...          Forget objects (they stay on the platform)
`,
  import: `Usage: poolform [global options] import [options] ADDRESS ID

Adopts the existing object ID into the state at ADDRESS, which the
configuration must declare. The object is not changed.
${VAR_FLAGS}
${LOCK_FLAGS}
`,
  'force-unlock': `Usage: poolform [global options] force-unlock [-force] LOCK_ID

Releases a state lock left behind by a poolform that did not finish. Only use
it when you are sure no other poolform is running with that lock.
`,
  providers: `Usage: poolform [global options] providers schema -json

Prints the schemas of every provider the configuration uses (all built-in
providers when run outside a configuration), in Terraform's format.
`,
  version: `Usage: poolform version [-json]

Shows the poolform version.
`,
  lab: `Usage: poolform [global options] lab xenserver|proxmox [options] [-- COMMAND ARGS...]

Runs a simulated lab on 127.0.0.1.

  xenserver  Every host has its own HTTPS XAPI port (self-signed certificate,
             pinned by fingerprint) and SSH port (root, the lab password).
             Hosts start standalone, ready to be joined into a pool. Writes
             DIR/lab.env with POOLFORM_VAR_xen_url, xen_password,
             xen_fingerprints, xen_hosts, known_hosts_file and xen_ssh_port.
  proxmox    Nodes pve1..pveN, each with its own HTTPS API port (/api2/json,
             self-signed certificate pinned by fingerprint, API token
             root@pam!poolform on every node) and SSH port (root by the lab
             password or the lab's client key DIR/id_ed25519). Nodes start
             standalone, ready to form a cluster. Writes DIR/lab.env with
             POOLFORM_VAR_pve_nodes, pve_api_token, pve_password,
             known_hosts_file and pve_ssh_private_key.

Without a command the lab runs until Ctrl-C. With -- COMMAND it runs that
poolform command against the lab (those variables set, in the -chdir directory
unless COMMAND gives its own), then stops the lab and exits with the command's
status, e.g. (what npm start runs)
  poolform -chdir=examples/xenserver-pool lab xenserver --hosts 3 -- apply -auto-approve
  poolform -chdir=examples/proxmox-cluster lab proxmox --nodes 3 -- plan

  --hosts N            xenserver: how many hosts (default 3, or as many as
                       DIR's lab has)
  --nodes N            proxmox: how many nodes (default 3, or as many as DIR's
                       lab has)
  --dir DIR            Where certificates, SSH keys, secrets and the simulated
                       state are kept, so a second run is the same lab
                       (default .poolform-lab/<platform> in the -chdir directory)
  --password P         root password of every host/node (default poolform-lab)
  --latency-scale X    Multiply operation latencies (0 = instant; default 1)
  --base-port N        APIs on N, N+1, ...; SSH on N+100, N+101, ... (default:
                       free ports, kept in DIR for the next run)
`,
};
