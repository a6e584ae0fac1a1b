package io.pgingest.ops;

import io.pgingest.pipeline.IngestionMode;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.PgIngestComponent;
import io.pgingest.source.SourceConnections;
import io.pgingest.source.logical.ReplicationNames;
import io.pgingest.source.logical.ReplicationSlots;
import io.pgingest.source.logical.SlotState;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.PipelineRecord;
import io.pgingest.state.StateStore;
import io.pgingest.state.StateStoreException;
import io.pgingest.tools.TextTable;
import org.apache.camel.CamelContext;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * {@code --status}: two plain-text tables. "Pipelines": every pipeline of the route files (and any the state store still
 * has records of), its mode and source, and for logical replication its slot read live from the source: whether it is
 * active (a pipeline streams from it) and the WAL it retains. "Objects": the object records of the state store
 * (status, progress, last message). Reads only; safe while pipelines run, except that an H2 state file can be opened
 * by one process at a time (the objects are then reported unavailable).
 */
public record StatusCommand() implements Command {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Override
    public int run(CamelContext context, PrintStream out, PrintStream err) {
        Map<String, DeclaredPipelines.Declared> declared = DeclaredPipelines.of(context);
        StateStore state = context.getComponent("pgingest", PgIngestComponent.class).stateStore();
        String stateError = null;
        TreeSet<String> names = new TreeSet<>(declared.keySet());
        try {
            names.addAll(state.pipelines());
        } catch (StateStoreException e) {
            stateError = oneLine(e.getMessage());
        }
        List<List<String>> pipelines = new ArrayList<>();
        List<List<String>> objects = new ArrayList<>();
        for (String name : names) {
            DeclaredPipelines.Declared d = declared.get(name);
            pipelines.add(d == null ? undeclaredRow(name, declared) : pipelineRow(name, d, stateError == null ? state : null));
            if (stateError == null) {
                try {
                    for (ObjectRecord r : state.objects(name)) {
                        objects.add(cells(name, r.object(), r.status().name(), r.progress().name(),
                                r.updatedAt() == null ? null : TIME.format(r.updatedAt()), r.message()));
                    }
                } catch (StateStoreException e) {
                    stateError = oneLine(e.getMessage());
                }
            }
        }
        out.println("Pipelines");
        out.print(new TextTable(List.of("pipeline", "mode", "source", "slot", "active", "WAL retained", "note"),
                List.of(false, false, false, false, false, true, false), pipelines).aligned(Integer.MAX_VALUE));
        out.println();
        out.println("Objects");
        if (stateError != null) {
            out.println("unavailable: " + (stateError.contains("[90020-")
                    ? "the H2 state file is in use by a running pg-ingest (one process at a time can open it; a PostgreSQL"
                    + " state store, pgingest.state.url, can be read while pipelines run)" : stateError));
            return FAILED;
        }
        out.print(new TextTable(List.of("pipeline", "object", "status", "progress", "updated (UTC)", "message"),
                List.of(false, false, false, false, false, false), objects).aligned(Integer.MAX_VALUE));
        return DONE;
    }

    private static List<String> pipelineRow(String name, DeclaredPipelines.Declared d, StateStore state) {
        if (d.settings() == null) {
            return cells(name, "?", null, null, null, null, "invalid: " + d.error());
        }
        PipelineSettings s = d.settings();
        if (s.mode() != IngestionMode.LOGICAL_REPLICATION) {
            return cells(name, s.mode().keyword(), s.source().toString(), null, null, null, null);
        }
        String slot = ReplicationNames.slot(name);
        try (Connection c = SourceConnections.open(s.source(), name)) {
            Optional<SlotState> found = ReplicationSlots.describe(c, slot);
            if (found.isEmpty()) {
                return cells(name, s.mode().keyword(), s.source().toString(), slot, null, null,
                        "no slot on the source (created by the pipeline's first run)");
            }
            SlotState st = found.get();
            return cells(name, s.mode().keyword(), s.source().toString(), slot,
                    st.active() ? "yes (pid " + st.activePid() + ")" : "no", st.retainedText(), slotNote(s, st));
        } catch (SQLException e) {
            String last = lastCheck(state, name);
            return cells(name, s.mode().keyword(), s.source().toString(), slot, null, null,
                    "source unreachable: " + oneLine(e.getMessage()) + (last == null ? "" : "; " + last));
        }
    }

    /**
     * A pipeline the state store has records of but no route file declares (renamed, or its file removed): its slot, if
     * it has one, is looked for on the sources of the declared log-based pipelines (a renamed pipeline usually keeps its
     * source), since it retains WAL until it is dropped.
     */
    private static List<String> undeclaredRow(String name, Map<String, DeclaredPipelines.Declared> declared) {
        String note = "not in the route files; the state store still has its records (restore its route file to delete it"
                + " with --delete-pipeline)";
        String slot = ReplicationNames.slot(name);
        java.util.Set<String> tried = new java.util.HashSet<>();
        for (DeclaredPipelines.Declared d : declared.values()) {
            PipelineSettings s = d.settings();
            if (s == null || s.mode() != IngestionMode.LOGICAL_REPLICATION || !tried.add(s.source().toString())) {
                continue;
            }
            try (Connection c = SourceConnections.open(s.source(), name)) {
                Optional<SlotState> found = ReplicationSlots.describe(c, slot);
                if (found.isPresent()) {
                    SlotState st = found.get();
                    return cells(name, "?", s.source().toString(), slot, st.active() ? "yes (pid " + st.activePid() + ")" : "no",
                            st.retainedText(), note + "; its slot retains WAL until it is dropped (--delete-pipeline, or"
                                    + " SELECT pg_drop_replication_slot('" + slot + "') on that source)");
                }
            } catch (SQLException e) {
                // that source is reported on its own pipeline's row
            }
        }
        return cells(name, "?", null, null, null, null, note);
    }

    private static String slotNote(PipelineSettings s, SlotState st) {
        List<String> notes = new ArrayList<>();
        if (st.retainedBytes() != null && st.retainedBytes() > s.walRetentionWarningMb() * 1024L * 1024L) {
            notes.add("above walRetentionWarningMb (" + s.walRetentionWarningMb() + " MB)");
        }
        if ("lost".equals(st.walStatus())) {
            notes.add("the WAL this slot needed was removed (wal_status lost): the pipeline cannot resume from it");
        }
        if (!st.active()) {
            notes.add("not streaming: the slot retains WAL until the pipeline runs or is deleted");
        }
        return notes.isEmpty() ? null : String.join("; ", notes);
    }

    /** What the running pipeline last recorded about its slot, or null. */
    private static String lastCheck(StateStore state, String name) {
        if (state == null) {
            return null;
        }
        try {
            Optional<PipelineRecord> r = state.pipeline(name);
            return r.map(p -> "last recorded " + TIME.format(p.updatedAt().truncatedTo(ChronoUnit.SECONDS)) + " UTC: "
                    + p.message()).orElse(null);
        } catch (StateStoreException e) {
            return null;
        }
    }

    /** A table row; an absent value shows as an empty cell. */
    private static List<String> cells(String... values) {
        return Arrays.stream(values).map(v -> v == null ? "" : v).toList();
    }

    static String oneLine(String message) {
        String m = String.valueOf(message);
        int newline = m.indexOf('\n');
        return (newline < 0 ? m : m.substring(0, newline)).trim();
    }
}
