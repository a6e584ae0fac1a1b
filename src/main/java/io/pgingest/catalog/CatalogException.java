package io.pgingest.catalog;

/** A named source object cannot be replicated or read; the message names it and says what to do instead. */
public class CatalogException extends RuntimeException {

    public CatalogException(String message) {
        super(message);
    }

    public CatalogException(String message, Throwable cause) {
        super(message, cause);
    }
}
