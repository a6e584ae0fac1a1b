package io.pgingest.mapping;

import io.pgingest.event.Column;
import io.pgingest.event.CopyRows;
import io.pgingest.event.LogicalType;
import io.pgingest.event.RowBatch;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.ArrayList;
import java.util.List;

/**
 * The shared type-mapping step of every pipeline: resolves the logical type of each column of the
 * {@link RowBatch} body that has none, and converts values that do not have their logical type's
 * canonical Java class (JDBC legacy classes, strings, driver objects, non-UTC timestamps), replacing
 * the body with a new batch. A batch that is already resolved and canonical is left untouched.
 * Sources are expected to produce one Java class per column within a batch: the class is checked on
 * the first non-null value of each column (timestamptz offsets on every value). Stateless, thread-safe.
 */
public final class TypeMappingProcessor implements Processor {

    @Override
    public void process(Exchange exchange) {
        Object body = exchange.getIn().getBody();
        if (!(body instanceof RowBatch batch)) {
            throw new IllegalArgumentException("the type-mapping processor expects a RowBatch body but got "
                    + (body == null ? "null" : body.getClass().getName())
                    + ": place it after a pg-ingest source in the route");
        }
        RowBatch mapped = apply(batch);
        if (mapped != batch) {
            exchange.getIn().setBody(mapped);
        }
    }

    /** The batch with every column resolved and every value canonical; the same instance when it already is. */
    public RowBatch apply(RowBatch batch) {
        List<Column> columns = resolveAll(batch.columns());
        // rows still in the binary form a source read them in decode to canonical values only: left undecoded
        boolean[] convert = batch.rows() instanceof CopyRows ? null : columnsToConvert(columns, batch.rows());
        if (convert == null) {
            return columns == batch.columns() ? batch : batch.withRows(columns, batch.rows());
        }
        return batch.withRows(columns, convertRows(columns, batch.rows(), convert));
    }

    private static List<Column> resolveAll(List<Column> columns) {
        List<Column> resolved = null;
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (c.type() == null) {
                if (resolved == null) {
                    resolved = new ArrayList<>(columns);
                }
                resolved.set(i, TypeMapping.resolve(c));
            }
        }
        return resolved == null ? columns : resolved;
    }

    /** Which columns hold non-canonical values; {@code null} when none does (the common, free case). */
    private static boolean[] columnsToConvert(List<Column> columns, List<Object[]> rows) {
        boolean[] convert = null;
        for (int j = 0; j < columns.size(); j++) {
            if (needsConversion(columns.get(j).type(), rows, j)) {
                if (convert == null) {
                    convert = new boolean[columns.size()];
                }
                convert[j] = true;
            }
        }
        return convert;
    }

    private static boolean needsConversion(LogicalType type, List<Object[]> rows, int column) {
        for (Object[] row : rows) {
            Object v = row[column];
            if (v == null) {
                continue;
            }
            if (!Canonical.isCanonical(type, v)) {
                return true;
            }
            if (type != LogicalType.TIMESTAMPTZ) {
                return false; // one class per column: the first non-null value decides
            }
        }
        return false;
    }

    private static List<Object[]> convertRows(List<Column> columns, List<Object[]> rows, boolean[] convert) {
        List<Object[]> out = new ArrayList<>(rows.size());
        for (Object[] row : rows) {
            Object[] copy = row.clone();
            for (int j = 0; j < copy.length; j++) {
                if (convert[j] && copy[j] != null) {
                    copy[j] = convertValue(columns.get(j), copy[j]);
                }
            }
            out.add(copy);
        }
        return out;
    }

    private static Object convertValue(Column c, Object v) {
        try {
            return Canonical.convert(c.type(), v);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("column " + c.name() + " (" + c.sourceType() + " -> " + c.type()
                    + "): cannot convert a value of class " + v.getClass().getName() + " (" + e.getMessage()
                    + "); the source must produce the Java class documented on LogicalType." + c.type(), e);
        }
    }
}
