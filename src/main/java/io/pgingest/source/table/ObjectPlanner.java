package io.pgingest.source.table;

import io.pgingest.catalog.TableInfo;
import io.pgingest.event.Column;
import io.pgingest.pipeline.ObjectSelection;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.pipeline.QueryMode;
import io.pgingest.source.ObjectOperations;
import io.pgingest.state.ObjectProgress;
import io.pgingest.state.ObjectRecord;
import io.pgingest.state.ObjectStatus;
import io.pgingest.state.StateStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Decides, at the start of each run, which tables of the selected schemas a table-mode
 * pipeline ingests and with which query mode, and records that as object states:
 * <ul>
 * <li>first run: tables covered by a line of {@code objects} are INCLUDED, others SKIPPED;</li>
 * <li>later runs: a table not seen before, or dropped and re-created (new OID), is INCLUDED
 *     with a fresh historical load when Include New Tables is on, else SKIPPED;</li>
 * <li>a table named explicitly is always INCLUDED; a changed query mode restarts its load.</li>
 * </ul>
 */
final class ObjectPlanner {

    /** An included table with its mode and current record. */
    record Planned(TableInfo table, QueryMode mode, ObjectRecord record) {
    }

    private ObjectPlanner() {
    }

    static List<Planned> plan(PipelineSettings settings, List<TableInfo> tables, StateStore state) {
        Map<String, ObjectRecord> known = state.objects(settings.name()).stream()
                .collect(Collectors.toMap(ObjectRecord::object, Function.identity()));
        boolean firstRun = known.isEmpty();
        List<Planned> included = new ArrayList<>();
        for (TableInfo table : tables) {
            String object = table.table().display();
            Optional<ObjectSelection> selection = settings.selectionFor(table.table().schema(), table.table().table());
            boolean explicit = selection.isPresent() && !selection.get().name().isWildcard();
            QueryMode mode = selection.map(ObjectSelection::mode).orElse(settings.defaultQueryMode());
            ObjectRecord record = known.get(object);
            boolean isNew = record == null || record.tableOid() != table.oid();
            ObjectStatus status;
            String note = null;
            if (!isNew) {
                status = explicit && record.status() == ObjectStatus.SKIPPED && !ObjectOperations.held(record)
                        ? ObjectStatus.INCLUDED : record.status();
            } else if (firstRun && settings.skipObjectsAtStart() && selection.isPresent()) {
                status = ObjectStatus.SKIPPED;
                note = TableSource.SKIPPED_AT_START;
            } else if (firstRun || explicit) {
                status = selection.isPresent() ? ObjectStatus.INCLUDED : ObjectStatus.SKIPPED;
            } else {
                status = settings.includeNewTables() ? ObjectStatus.INCLUDED : ObjectStatus.SKIPPED;
                note = (record == null ? "new table" : "table re-created") + (settings.includeNewTables()
                        ? "; included (Include New Tables is on)" : "; skipped because Include New Tables is off");
            }
            boolean restart = isNew || record.status() != ObjectStatus.INCLUDED && status == ObjectStatus.INCLUDED
                    || !mode.toString().equals(record.queryMode());
            if (restart) {
                state.deleteCursor(settings.name(), object);
            }
            ObjectProgress progress = restart ? ObjectProgress.PENDING : record.progress();
            String message = note != null ? note : restart ? null : record.message();
            ObjectRecord updated = new ObjectRecord(settings.name(), object, table.oid(), status, progress,
                    mode.toString(), message, Instant.now());
            if (!updated.equals(record)) {
                state.saveObject(updated);
            }
            if (status == ObjectStatus.INCLUDED) {
                included.add(new Planned(table, mode, updated));
            }
        }
        return included;
    }

    /** Whether the object's next run is (still) its historical load. */
    static boolean historicalPending(ObjectRecord record) {
        return switch (record.progress()) {
            case PENDING, HISTORICAL_LOAD_RUNNING -> true;
            case FAILED -> record.message() != null && record.message().startsWith(HISTORICAL_FAILED);
            default -> false;
        };
    }

    static final String HISTORICAL_FAILED = "historical load failed: ";
    static final String INCREMENTAL_FAILED = "incremental run failed: ";

    /**
     * Checks that the columns a query mode names exist and have a usable type; returns the
     * problem as one sentence, or null when the mode fits the table.
     */
    static String checkMode(TableInfo table, QueryMode mode) {
        if (mode.timestampColumn() != null) {
            String problem = checkColumn(table, mode, mode.timestampColumn(), "timestamp",
                    type -> type.startsWith("timestamp") || type.equals("date"), "a timestamp, timestamptz or date column");
            if (problem != null) {
                return problem;
            }
        }
        if (mode.incrementingColumn() != null) {
            return checkColumn(table, mode, mode.incrementingColumn(), "incrementing",
                    type -> type.equals("smallint") || type.equals("integer") || type.equals("bigint")
                            || type.matches("numeric\\(\\d+,0\\)"),
                    "a smallint, integer, bigint or numeric(p,0) column");
        }
        return null;
    }

    private static String checkColumn(TableInfo table, QueryMode mode, String name, String role,
                                      java.util.function.Predicate<String> typeOk, String expected) {
        Column column = table.column(name);
        if (column == null) {
            return "column \"" + name + "\" named in " + mode + " does not exist in " + table.table().display()
                    + " (columns: " + table.columns().stream().map(Column::name).collect(Collectors.joining(", ")) + ")";
        }
        String type = column.sourceType().toLowerCase(Locale.ROOT);
        if (!typeOk.test(type)) {
            return "column \"" + name + "\" of " + table.table().display() + " has type " + column.sourceType()
                    + "; the " + role + " column of " + mode.kind().keyword() + " must be " + expected;
        }
        return null;
    }
}
