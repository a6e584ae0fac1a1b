package io.pgingest.destination;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BinaryOperator;

/**
 * One schema change a destination table needs before a batch can be written: add a column
 * ({@code fromType == null}) or widen it from {@code fromType} to {@code toType}. Columns are
 * never dropped or narrowed.
 */
public record ColumnChange(String column, String fromType, String toType) {

    public boolean isAdd() {
        return fromType == null;
    }

    /**
     * Plans the changes that turn a table with {@code existing} columns (name to type, as the
     * database reports it) into one that can hold {@code wanted} columns.
     *
     * @param widen returns the narrowest type holding both values of (existing, wanted); returning
     *              the existing type means no change
     */
    public static List<ColumnChange> plan(Map<String, String> existing, LinkedHashMap<String, String> wanted,
                                          BinaryOperator<String> widen) {
        List<ColumnChange> changes = new ArrayList<>();
        for (Map.Entry<String, String> column : wanted.entrySet()) {
            String current = existing.get(column.getKey());
            if (current == null) {
                changes.add(new ColumnChange(column.getKey(), null, column.getValue()));
                continue;
            }
            String merged = widen.apply(current, column.getValue());
            if (!merged.equalsIgnoreCase(current)) {
                changes.add(new ColumnChange(column.getKey(), current, merged));
            }
        }
        return changes;
    }
}
