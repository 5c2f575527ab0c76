"""What finds passages and sentences: dense, keyword and sentence search fused, the derived indexes kept in step, document cards."""
