package io.pgingest.ops;

import io.pgingest.pipeline.IngestionMode;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.PgIngestComponent;
import io.pgingest.source.SourceConnections;
import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.source.logical.ReplicationSlots;
import io.pgingest.source.logical.SlotState;
import io.pgingest.source.logical.StateStoreOffsetBackingStore;
import io.pgingest.state.StateStore;
import io.pgingest.state.StateStoreException;
import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;

/**
 * {@code --delete-pipeline NAME}: the only operation that drops a pipeline's replication slot and publication (SPEC:
 * created when missing, dropped by an explicit "delete pipeline"). For a logical-replication pipeline it drops, on the
 * source named by the pipeline's route file, the slot and then the publication, then its Debezium offset table in the
 * state database; for every pipeline it removes its object records, cursors and pipeline record from the state store.
 * Billing counters are kept (a record of what was ingested and billed) and the destination is not touched.
 * <p>Refused, with nothing changed, when no pipeline of that name is in the route files or when its slot is active (the
 * pipeline is running). Each step is idempotent: after a failure half-way, running the command again finishes it.
 */
public record DeletePipelineCommand(String pipeline) implements Command {

    /** SQLSTATE of pg_drop_replication_slot on a slot a client uses. */
    private static final String OBJECT_IN_USE = "55006";

    @Override
    public int run(CamelContext context, PrintStream out, PrintStream err) {
        Map<String, DeclaredPipelines.Declared> declared = DeclaredPipelines.of(context);
        DeclaredPipelines.Declared d = declared.get(pipeline);
        String prefix = "pg-ingest: --delete-pipeline " + pipeline + ": ";
        if (d == null) {
            err.println(prefix + "no pipeline of that name in the route files ("
                    + context.resolvePropertyPlaceholders("{{camel.main.routes-include-pattern:file:routes/*.camel.yaml}}")
                    + "); " + (declared.isEmpty() ? "they declare no pipeline" : "they declare: " + String.join(", ", declared.keySet()))
                    + ". The route file holds the source connection needed to drop the slot: keep it until the pipeline is deleted");
            return INVALID;
        }
        if (d.settings() == null) {
            err.println(prefix + "its route file is invalid, fix it first: " + d.error());
            return INVALID;
        }
        PipelineSettings settings = d.settings();
        PgIngestComponent component = context.getComponent("pgingest", PgIngestComponent.class);
        boolean logical = settings.mode() == IngestionMode.LOGICAL_REPLICATION;
        int running = logical ? refuseWhileStreaming(settings, err, prefix) : DONE;
        if (running != DONE) {
            return running;
        }
        StateStore state = component.stateStore();
        try {
            state.pipelines(); // the state store must be usable before anything is dropped on the source
        } catch (StateStoreException e) {
            err.println(prefix + "cannot use the state store: " + StatusCommand.oneLine(e.getMessage()) + " (stop pg-ingest"
                    + " if it uses this H2 state file, then run the command again). Nothing was deleted");
            return FAILED;
        }
        if (logical) {
            int code = dropSlotAndPublication(settings, out, err, prefix);
            if (code != DONE) {
                return code;
            }
            String table = ReplicationNames.offsetTable(pipeline);
            try {
                boolean dropped = StateStoreOffsetBackingStore.dropTable(component.stateDatabase(), table);
                out.println(dropped ? "dropped offset table " + table + " from the state database"
                        : "no offset table " + table + " in the state database");
            } catch (SQLException e) {
                err.println(prefix + "cannot drop offset table " + table + " from the state database "
                        + component.stateDatabase() + ": " + StatusCommand.oneLine(e.getMessage())
                        + " (the slot and publication are gone; run the command again once the state database is reachable)");
                return FAILED;
            }
        }
        try {
            StateStore.Removed removed = state.deletePipeline(pipeline);
            out.println("removed " + removed.objects() + " object records, " + removed.cursors() + " cursors"
                    + (removed.pipelineRecord() ? " and the pipeline record" : "") + " from the state store;"
                    + " billing counters kept");
        } catch (StateStoreException e) {
            err.println(prefix + "cannot remove the pipeline's state: " + StatusCommand.oneLine(e.getMessage())
                    + (logical ? " (the slot and publication are gone;" : " (")
                    + " stop pg-ingest if it uses this H2 state file, then run the command again)");
            return FAILED;
        }
        out.println("pipeline " + pipeline + " deleted; remove its route file now, or its next start creates it again"
                + " (with a new historical load)");
        return DONE;
    }

    /** {@link #REFUSED} when the slot is active (the pipeline runs), {@link #FAILED} when the source cannot tell, else DONE. */
    private int refuseWhileStreaming(PipelineSettings settings, PrintStream err, String prefix) {
        String slot = ReplicationNames.slot(pipeline);
        try (Connection c = SourceConnections.open(settings.source(), pipeline)) {
            Optional<SlotState> found = ReplicationSlots.describe(c, slot);
            if (found.isPresent() && found.get().active()) {
                err.println(prefix + refusal(slot, found.get().activePid()));
                return REFUSED;
            }
            return DONE;
        } catch (SQLException e) {
            err.println(prefix + "cannot read the replication slot on " + settings.source() + ": "
                    + StatusCommand.oneLine(e.getMessage()) + " (check that the source is reachable). Nothing was deleted");
            return FAILED;
        }
    }

    /** Drops the slot (refused while active) and the publication; returns an exit code. */
    private int dropSlotAndPublication(PipelineSettings settings, PrintStream out, PrintStream err, String prefix) {
        String slot = ReplicationNames.slot(pipeline);
        try (Connection c = SourceConnections.open(settings.source(), pipeline)) {
            Optional<SlotState> found = ReplicationSlots.describe(c, slot);
            if (found.isPresent() && found.get().active()) {
                err.println(prefix + refusal(slot, found.get().activePid()));
                return REFUSED;
            }
            if (found.isPresent()) {
                try {
                    ReplicationSlots.drop(c, slot);
                } catch (SQLException e) {
                    if (OBJECT_IN_USE.equals(e.getSQLState())) {
                        err.println(prefix + refusal(slot, null)); // it became active since the check
                        return REFUSED;
                    }
                    throw e;
                }
                out.println("dropped replication slot " + slot + " on " + settings.source() + " (it retained "
                        + found.get().retainedText() + " of WAL)");
            } else {
                out.println("no replication slot " + slot + " on " + settings.source());
            }
            boolean publication = ReplicationSlots.dropPublication(c, slot);
            out.println(publication ? "dropped publication " + slot : "no publication " + slot + " on " + settings.source());
            return DONE;
        } catch (SQLException e) {
            err.println(prefix + "cannot drop the replication slot and publication on " + settings.source() + ": "
                    + StatusCommand.oneLine(e.getMessage()) + " (nothing was deleted; check that the source is reachable and"
                    + " that its user has the REPLICATION privilege and owns the publication)");
            return FAILED;
        }
    }

    private String refusal(String slot, Integer pid) {
        return "refused: replication slot " + slot + " is active" + (pid == null ? "" : " (server process " + pid + ")")
                + ", so the pipeline is running; stop it (stop pg-ingest, or the application that runs it) and run"
                + " --delete-pipeline again. Nothing was deleted";
    }
}
