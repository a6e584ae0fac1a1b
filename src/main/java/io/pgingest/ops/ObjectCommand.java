package io.pgingest.ops;

import io.pgingest.source.HistoricalLoadRestart;
import io.pgingest.source.ObjectOperations;
import io.pgingest.source.PgIngestComponent;
import io.pgingest.state.StateStoreException;
import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code --restart-historical-load}, {@code --include-object}, {@code --skip-object}, {@code --pause-object} and
 * {@code --resume-object PIPELINE OBJECT}: the operator's operations on one object ({@link HistoricalLoadRestart},
 * {@link ObjectOperations}), recorded in the state store and done by the pipeline: a running logical-replication
 * pipeline picks them up while streaming (with a state store it can share, i.e. PostgreSQL), otherwise the pipeline's
 * next start or run does. Nothing is written to the source.
 */
public record ObjectCommand(String option, String pipeline, String object) implements Command {

    static final java.util.List<String> OPTIONS = java.util.List.of("--restart-historical-load", "--include-object",
            "--skip-object", "--pause-object", "--resume-object");

    @Override
    public int run(CamelContext context, PrintStream out, PrintStream err) {
        String prefix = "pg-ingest: " + option + " " + pipeline + " " + object + ": ";
        Map<String, DeclaredPipelines.Declared> declared = DeclaredPipelines.of(context);
        if (!declared.containsKey(pipeline)) {
            err.println(prefix + "no pipeline of that name in the route files; "
                    + (declared.isEmpty() ? "they declare no pipeline" : "they declare: " + String.join(", ", declared.keySet())));
            return INVALID;
        }
        PgIngestComponent component = context.getComponent("pgingest", PgIngestComponent.class);
        try {
            var state = component.stateStore();
            out.println(switch (option) {
                case "--restart-historical-load" -> HistoricalLoadRestart.request(state, pipeline, object);
                case "--include-object" -> ObjectOperations.include(state, pipeline, object);
                case "--skip-object" -> ObjectOperations.skip(state, pipeline, object);
                case "--pause-object" -> ObjectOperations.pause(state, pipeline, object);
                default -> ObjectOperations.resume(state, pipeline, object);
            });
            return DONE;
        } catch (IllegalArgumentException e) {
            err.println(prefix + e.getMessage());
            return INVALID;
        } catch (StateStoreException e) {
            err.println(prefix + "cannot use the state store: " + StatusCommand.oneLine(e.getMessage()) + " (an H2 state file"
                    + " is open in one process at a time: stop pg-ingest, run the command, start it again; with a PostgreSQL"
                    + " state store a running pipeline picks the change up). Nothing was changed");
            return FAILED;
        }
    }
}
