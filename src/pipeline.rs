//! Glue: frames → decoder → parser → tracker → classifier → sinks.
