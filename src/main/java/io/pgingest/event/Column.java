package io.pgingest.event;

import java.util.Objects;

/**
 * One column of a {@link RowBatch}.
 *
 * @param name        column name (the source name until the naming processor maps it)
 * @param sourceType  PostgreSQL type as {@code format_type()} prints it, e.g. {@code numeric(12,2)},
 *                    {@code character varying(20)}, {@code integer[]}, {@code "MyEnum"}
 * @param type        logical type; {@code null} until the type-mapping processor resolved it
 * @param precision   declared precision (numeric) or -1
 * @param scale       declared scale (numeric) or -1
 * @param nullable    whether the source allows NULL
 */
public record Column(String name, String sourceType, LogicalType type, int precision, int scale, boolean nullable) {

    public Column {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sourceType, "sourceType");
    }

    public Column withName(String newName) {
        return new Column(newName, sourceType, type, precision, scale, nullable);
    }

    public Column withType(LogicalType newType, int newPrecision, int newScale) {
        return new Column(name, sourceType, newType, newPrecision, newScale, nullable);
    }
}
