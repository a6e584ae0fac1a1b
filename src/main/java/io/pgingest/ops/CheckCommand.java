package io.pgingest.ops;

import io.pgingest.source.PgIngestComponent;
import io.pgingest.state.StateStore;
import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * {@code --check [PIPELINE]}: the connection check ("TEST CONNECTION") of every pipeline the route files declare, or
 * of one. For each: its settings, then {@link ConnectionCheck} on its source (reachability, authentication, server
 * version; for logical replication wal_level, standby, replication privilege, free slots and WAL senders,
 * wal_sender_timeout, the publication; for every mode the selected objects and the privileges to read them). One
 * line per finding; a problem's line ends with the SQL or setting that fixes it. Reads only: nothing is created.
 * Exit code 0 when nothing failed (warnings allowed), 1 when something did, 2 for an unknown pipeline.
 */
public record CheckCommand(String pipeline) implements Command {

    @Override
    public int run(CamelContext context, PrintStream out, PrintStream err) {
        Map<String, DeclaredPipelines.Declared> declared = DeclaredPipelines.of(context);
        if (pipeline != null && !declared.containsKey(pipeline)) {
            err.println("pg-ingest: no pipeline named '" + pipeline + "' in the route files; they declare: "
                    + (declared.isEmpty() ? "none" : String.join(", ", declared.keySet())));
            return INVALID;
        }
        if (declared.isEmpty()) {
            err.println("pg-ingest: the route files declare no pipeline; nothing to check (see camel.main.routes-include-pattern)");
            return INVALID;
        }
        StateStore state = context.getComponent("pgingest", PgIngestComponent.class).stateStore();
        int failed = 0;
        int warnings = 0;
        for (DeclaredPipelines.Declared d : declared.values()) {
            if (pipeline != null && !pipeline.equals(d.name())) {
                continue;
            }
            List<ConnectionCheck.Finding> findings;
            if (d.settings() == null) {
                out.println("pipeline " + d.name());
                findings = List.of(new ConnectionCheck.Finding(ConnectionCheck.Level.FAIL, d.error()));
            } else {
                out.println("pipeline " + d.name() + " (" + d.settings().mode().keyword() + ", " + d.settings().source() + ")");
                findings = ConnectionCheck.run(d.settings(), state);
            }
            for (ConnectionCheck.Finding f : findings) {
                out.printf("  %-5s %s%n", f.level() == ConnectionCheck.Level.OK ? "ok" : f.level().name(), f.text());
                failed += f.level() == ConnectionCheck.Level.FAIL ? 1 : 0;
                warnings += f.level() == ConnectionCheck.Level.WARN ? 1 : 0;
            }
        }
        out.println(failed == 0 ? "check passed" + (warnings > 0 ? " with " + warnings + " warning(s)" : "")
                : "check FAILED: " + failed + " problem(s)" + (warnings > 0 ? ", " + warnings + " warning(s)" : ""));
        return failed == 0 ? DONE : FAILED;
    }
}
