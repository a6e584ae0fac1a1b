package io.pgingest.ops;

import io.pgingest.source.HistoricalLoadRestart;
import io.pgingest.source.PgIngestComponent;
import io.pgingest.state.StateStoreException;
import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code --restart-historical-load PIPELINE OBJECT}: records in the state store that one included object of a
 * pipeline is loaded again from its first row ({@link HistoricalLoadRestart}). A running logical-replication pipeline
 * picks the request up while streaming (with a state store it can share, i.e. PostgreSQL); otherwise it is done at the
 * pipeline's next start (logical replication) or next run (table mode). Nothing is written to the source.
 */
public record RestartHistoricalLoadCommand(String pipeline, String object) implements Command {

    @Override
    public int run(CamelContext context, PrintStream out, PrintStream err) {
        String prefix = "pg-ingest: --restart-historical-load " + pipeline + " " + object + ": ";
        Map<String, DeclaredPipelines.Declared> declared = DeclaredPipelines.of(context);
        if (!declared.containsKey(pipeline)) {
            err.println(prefix + "no pipeline of that name in the route files; "
                    + (declared.isEmpty() ? "they declare no pipeline" : "they declare: " + String.join(", ", declared.keySet())));
            return INVALID;
        }
        PgIngestComponent component = context.getComponent("pgingest", PgIngestComponent.class);
        try {
            out.println(HistoricalLoadRestart.request(component.stateStore(), pipeline, object));
            return DONE;
        } catch (IllegalArgumentException e) {
            err.println(prefix + e.getMessage());
            return INVALID;
        } catch (StateStoreException e) {
            err.println(prefix + "cannot use the state store: " + StatusCommand.oneLine(e.getMessage()) + " (an H2 state file"
                    + " is open in one process at a time: stop pg-ingest, run the command, start it again; with a PostgreSQL"
                    + " state store the running pipeline picks the request up). Nothing was changed");
            return FAILED;
        }
    }
}
