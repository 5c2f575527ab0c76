"""What finds passages and sentences: dense, keyword and sentence search fused; derived indexes; document cards."""
